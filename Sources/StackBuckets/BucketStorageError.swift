import StackCore
import StackPostgres

/// Bucket storage failures (`STACK-Bnnn`).
public struct BucketStorageError: CodedError {
    /// Stable code.
    public let code: String
    /// What is wrong, what was seen, what to do.
    public let message: String

    /// Creates an error.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// A storage query failed.
    static func query(_ what: String, _ error: any Error) -> Self {
        Self(
            code: "STACK-B001",
            message: "Bucket storage could not \(what): \(PostgresErrorText.describe(error)). Check that Postgres "
                + "is reachable and that the bucket storage migrations ran (stack up runs them).")
    }
}
