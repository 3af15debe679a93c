/// Why pgoutput or replication-envelope bytes could not be decoded, or decoded messages could not be assembled.
public struct PGOutputError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Stable error code (`STACK-R0xx`).
    public let code: String
    /// What is wrong, what was seen and what to do; never contains row values.
    public let message: String

    /// Creates an error with a stable code and a descriptive message.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`, for logs.
    public var description: String { "\(code): \(message)" }

    /// The input ended before a field was complete.
    static func truncated(_ field: String, in context: String, at offset: Int, needed: Int, available: Int) -> Self {
        Self(
            code: "STACK-R001",
            message: "Truncated \(context): \(field) at byte \(offset) needs \(needed) byte(s) but only "
                + "\(available) remain. The replication stream is corrupt or was cut; restart replication from the "
                + "slot."
        )
    }

    /// A message type byte that protocol v1 does not define.
    static func unknownMessageType(_ byte: UInt8, in context: String) -> Self {
        Self(
            code: "STACK-R002",
            message: "Unknown \(context) message type \(Self.describe(byte)). Only pgoutput proto_version '1' is "
                + "supported; check the START_REPLICATION options."
        )
    }

    /// A tuple column in binary format, which stack never requests.
    static func binaryTupleValue(column: Int) -> Self {
        Self(
            code: "STACK-R003",
            message: "Tuple column \(column) is in binary format ('b'); stack only decodes text values. Do not pass "
                + "the \"binary\" option to START_REPLICATION."
        )
    }

    /// A structural byte (tuple kind, column kind, boolean flag) with an unexpected value.
    static func unexpectedByte(_ byte: UInt8, expected: String, in context: String, at offset: Int) -> Self {
        Self(
            code: "STACK-R004",
            message: "Unexpected byte \(Self.describe(byte)) at offset \(offset) in \(context); expected \(expected)."
                + " The replication stream is corrupt or not pgoutput v1."
        )
    }

    /// Bytes left over after a complete message.
    static func trailingBytes(_ count: Int, in context: String) -> Self {
        Self(
            code: "STACK-R005",
            message: "\(count) unexpected trailing byte(s) after a complete \(context). The stream is corrupt or uses "
                + "a newer protocol version than '1'."
        )
    }

    /// A length or count field that is negative.
    static func negativeLength(_ value: Int, field: String, in context: String) -> Self {
        Self(
            code: "STACK-R006",
            message: "Negative \(field) \(value) in \(context). The replication stream is corrupt."
        )
    }

    /// A byte as `'X' (0x58)` or `0x05`.
    static func describe(_ byte: UInt8) -> String {
        let hex = "0x" + String(byte, radix: 16, uppercase: true)
        if (0x20..<0x7F).contains(byte) {
            return "'\(Character(Unicode.Scalar(byte)))' (\(hex))"
        }
        return hex
    }
}
