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

    /// A storage row had fewer columns than its query selects (a storage schema that is not this version's).
    static let malformedRow = Self(
        code: "STACK-B004",
        message: "A bucket storage row had fewer columns than expected. Run `stack sync rebuild` to rebuild the "
            + "storage schema.")

    /// A storage query failed.
    static func query(_ what: String, _ error: any Error) -> Self {
        Self(
            code: "STACK-B001",
            message: "Bucket storage could not \(what): \(PostgresErrorText.describe(error)). Check that Postgres "
                + "is reachable and that the bucket storage migrations ran (stack up runs them).")
    }
}
