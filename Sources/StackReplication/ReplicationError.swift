import StackCore

/// Replication failures (`STACK-R1xx`).
public struct ReplicationError: CodedError {
    /// Stable code.
    public let code: String
    /// What is wrong, what was seen, what to do.
    public let message: String

    /// Creates an error.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// The stream's slot is gone or invalidated: the stream must be rebuilt from a new slot.
    static func slotLost(_ slot: String, _ reason: String) -> Self {
        Self(
            code: "STACK-R101",
            message: "Replication slot \(slot) \(reason). Stack starts a new replication stream with a new slot and "
                + "a full snapshot; the old data keeps serving until it is ready. Raise max_slot_wal_keep_size if "
                + "this repeats.")
    }

    /// The sync rules in the config do not compile.
    static func invalidRules(_ description: String) -> Self {
        Self(code: "STACK-R102", message: description)
    }

    /// True when the error means the slot must be replaced.
    var isSlotLost: Bool { code == "STACK-R101" }
}
