import CLibPQ
import Foundation

/// libpq connection keywords, built from a postgres URL: for a `replication=database` connection, or a plain one.
struct ReplicationConnInfo: Sendable {
    /// Keyword/value pairs for `PQconnectdbParams`, which needs no quoting.
    let parameters: [(String, String)]

    /// Parses `postgres://user:password@host:port/dbname?key=value`; query keys pass through to libpq.
    init(url: String, applicationName: String = "stack-replication", replication: Bool = true) throws {
        guard let components = URLComponents(string: url),
            components.scheme == "postgres" || components.scheme == "postgresql"
        else { throw ReplicationConnectionError.invalidURL("expected a postgres:// or postgresql:// URL") }
        var parameters: [(String, String)] = []
        if let host = components.host, !host.isEmpty {
            parameters.append(("host", host))
        }
        if let port = components.port {
            parameters.append(("port", String(port)))
        }
        if let user = components.user, !user.isEmpty {
            parameters.append(("user", user))
        }
        if let password = components.password {
            parameters.append(("password", password))
        }
        let database = String(components.path.drop { $0 == "/" })
        if !database.isEmpty {
            parameters.append(("dbname", database.removingPercentEncoding ?? database))
        }
        var hasApplicationName = false
        for item in components.queryItems ?? [] {
            guard item.name != "replication" else { continue }
            hasApplicationName = hasApplicationName || item.name == "application_name"
            parameters.append((item.name, item.value ?? ""))
        }
        if !hasApplicationName {
            parameters.append(("application_name", applicationName))
        }
        if replication { parameters.append(("replication", "database")) }
        self.parameters = parameters
    }

    /// Opens a blocking libpq connection with these parameters.
    func connect() throws(ConnectFailure) -> OpaquePointer {
        guard let connection = withLibPQParameters(parameters, { PQconnectdbParams($0, $1, 0) }) else {
            throw ConnectFailure(detail: "libpq could not allocate a connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = PGResult.connectionMessage(connection)
            PQfinish(connection)
            throw ConnectFailure(detail: message)
        }
        return connection
    }

    /// Why libpq could not connect (its message, which never includes the password).
    struct ConnectFailure: Error {
        let detail: String
    }

    /// Host, port and database for logs (never the password).
    var logDescription: String {
        let values = Dictionary(parameters, uniquingKeysWith: { _, last in last })
        return "\(values["host"] ?? "localhost"):\(values["port"] ?? "5432")/\(values["dbname"] ?? "")"
    }
}

/// Calls `body` with `parameters` as the NULL-terminated keyword and value arrays of libpq's `…Params` functions.
func withLibPQParameters<Result>(
    _ parameters: [(String, String)],
    _ body: (UnsafePointer<UnsafePointer<CChar>?>, UnsafePointer<UnsafePointer<CChar>?>) -> Result
) -> Result {
    let keys = parameters.map { strdup($0.0) }
    let values = parameters.map { strdup($0.1) }
    defer {
        keys.forEach { free($0) }
        values.forEach { free($0) }
    }
    let keyPointers = keys.map { UnsafePointer($0) } + [nil]
    let valuePointers = values.map { UnsafePointer($0) } + [nil]
    return keyPointers.withUnsafeBufferPointer { keys in
        valuePointers.withUnsafeBufferPointer { values in body(keys.baseAddress!, values.baseAddress!) }
    }
}
