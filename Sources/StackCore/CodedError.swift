/// An error with a stable code (`STACK-Xnnn`) and a message that says what is wrong, what was seen and what to do.
///
/// Messages never contain secrets, tokens or SQL parameters: they are printed and logged as they are.
public protocol CodedError: Error, CustomStringConvertible, Sendable {
    /// The stable code, e.g. `STACK-C001` (C config, P postgres, S server, D doctor, A auth, R replication).
    var code: String { get }
    /// The human-readable message.
    var message: String { get }
}

extension CodedError {
    /// `code: message`, the form used on the console.
    public var description: String { "\(code): \(message)" }
}

/// A generic coded error for places that have no richer type.
public struct StackError: CodedError {
    /// The stable code.
    public let code: String
    /// The message.
    public let message: String

    /// Creates an error with a code and a message.
    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
}
