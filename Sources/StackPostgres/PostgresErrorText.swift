import PostgresNIO
import StackCore

/// Human-readable text for Postgres errors, without query parameters (PSQLError hides everything by default).
public enum PostgresErrorText {
    /// The server's message and SQLSTATE, or the connection problem, for logs and error messages.
    public static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                let detail = error.serverInfo?[.detail].map { ". \($0)" } ?? ""
                return message + state + detail
            }
            switch error.code {
            case .connectionError, .serverClosedConnection, .uncleanShutdown:
                return "cannot connect to Postgres (\(error.underlying.map { "\($0)" } ?? "connection closed"))"
            default:
                return "Postgres client error \(error.code)"
            }
        }
        if let coded = error as? any CodedError { return coded.description }
        return "\(error)"
    }

    /// The SQLSTATE of a server error, if the error came from the server.
    public static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }
}
