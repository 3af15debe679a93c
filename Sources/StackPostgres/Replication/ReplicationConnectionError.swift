/// Why the libpq replication connection failed; descriptions never contain passwords or row data.
public struct ReplicationConnectionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Stable error code (`STACK-R0xx`).
    public let code: String
    /// What is wrong, what was seen and what to do.
    public let message: String
    /// The server's SQLSTATE when Postgres reported the error.
    public let sqlState: String?

    /// Creates an error with a stable code.
    public init(code: String, message: String, sqlState: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
    }

    /// `code: message`, for logs.
    public var description: String { "\(code): \(message)" }

    /// The postgres URL could not be parsed.
    public static func invalidURL(_ reason: String) -> Self {
        Self(
            code: "STACK-R030",
            message: "The Postgres URL is invalid: \(reason). Use postgres://user[:password]@host[:port]/database.")
    }

    /// libpq could not connect.
    static func connectFailed(_ detail: String) -> Self {
        Self(
            code: "STACK-R031",
            message: "Could not open a replication connection: \(detail). Check that Postgres runs, that the URL is "
                + "right and that pg_hba.conf allows replication connections for this user.")
    }

    /// A replication command failed (mapped to a more specific code when the SQLSTATE is known).
    static func commandFailed(_ command: String, detail: String, sqlState: String?) -> Self {
        if detail.contains("publication") {
            return Self(
                code: "STACK-R036",
                message: "\(command) failed: \(detail). Create the publication (CREATE PUBLICATION … FOR ALL TABLES) "
                    + "or fix sync.publication.", sqlState: sqlState)
        }
        switch sqlState {
        case "42704":
            return Self(
                code: "STACK-R033",
                message: "\(command) failed: \(detail). The replication slot is missing; stack must create a new "
                    + "slot and re-snapshot.", sqlState: sqlState)
        case "42710":
            return Self(
                code: "STACK-R034",
                message: "\(command) failed: \(detail). Drop the stale slot or choose another slot name.",
                sqlState: sqlState)
        case "55006":
            return Self(
                code: "STACK-R035",
                message: "\(command) failed: \(detail). Another process is streaming from this slot; stop it or "
                    + "retry after it exits.", sqlState: sqlState)
        case "55000":
            return Self(
                code: "STACK-R037",
                message: "\(command) failed: \(detail). Check wal_level = logical (needs a restart) and that the "
                    + "slot has not been invalidated.", sqlState: sqlState)
        case "42501", "28000":
            return Self(
                code: "STACK-R038",
                message: "\(command) failed: \(detail). The user needs the REPLICATION attribute "
                    + "(ALTER ROLE … REPLICATION).", sqlState: sqlState)
        default:
            return Self(code: "STACK-R032", message: "\(command) failed: \(detail).", sqlState: sqlState)
        }
    }

    /// The connection dropped while streaming.
    static func connectionLost(_ detail: String) -> Self {
        Self(
            code: "STACK-R039",
            message: "The replication connection was lost: \(detail). Replication restarts from the last confirmed "
                + "LSN.")
    }

    /// The server sent bytes that do not decode as pgoutput v1.
    static func undecodable(_ error: Error) -> Self {
        Self(code: "STACK-R040", message: "Could not decode the replication stream: \(error).")
    }

    /// A slot or publication name that stack refuses to put into a replication command.
    public static func invalidName(_ kind: String, _ name: String) -> Self {
        Self(
            code: "STACK-R041",
            message: "Invalid \(kind) name '\(name.prefix(80))'. Use 1–63 characters from a–z, 0–9 and '_'.")
    }

    /// The connection was used after `stop()` or while it was streaming.
    static func notUsable(_ state: String) -> Self {
        Self(code: "STACK-R042", message: "The replication connection is \(state); open a new one.")
    }
}
