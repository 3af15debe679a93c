import CLibPQ
import Foundation

/// What a Postgres server says when asked whether it takes connections (libpq's `PQping`).
///
/// It answers without a password or a valid user: the server speaks before authentication. A server that is shutting
/// down, starting up or recovering from a crash accepts the TCP connection and then refuses the session
/// (SQLSTATE 57P03), which a bare TCP connect cannot tell from a server that is up.
public enum ServerPing: Sendable, Equatable {
    /// The server takes connections (it asked for authentication, or refused for another reason, such as too many
    /// connections).
    case accepting
    /// The server runs but takes no connections now: it is shutting down, starting up or recovering.
    case rejecting
    /// No answer: nothing listens there, or it did not answer within the timeout.
    case noResponse

    /// Pings `url`'s server (host, port, user and database only: never the password). Blocks a thread of its own
    /// for at most `timeoutSeconds` (libpq's `connect_timeout`, at least 2).
    public static func ping(_ url: DatabaseURL, timeoutSeconds: Int = 2) async -> ServerPing {
        let parameters =
            [
                ("host", url.host), ("port", String(url.port)), ("user", url.user), ("dbname", url.database),
                ("connect_timeout", String(max(timeoutSeconds, 2))), ("application_name", "stack-ping"),
            ] + (url.sslMode.map { [("sslmode", $0)] } ?? [])
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: ping(parameters)) }
        }
    }

    private static func ping(_ parameters: [(String, String)]) -> ServerPing {
        switch withLibPQParameters(parameters, { PQpingParams($0, $1, 0) }) {
        case PQPING_OK: .accepting
        case PQPING_REJECT: .rejecting
        default: .noResponse
        }
    }
}
