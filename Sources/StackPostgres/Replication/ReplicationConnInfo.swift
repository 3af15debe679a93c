import Foundation

/// libpq connection keywords for a `replication=database` connection, built from a postgres URL.
struct ReplicationConnInfo: Sendable {
    /// Keyword/value pairs for `PQconnectdbParams`, which needs no quoting.
    let parameters: [(String, String)]

    /// Parses `postgres://user:password@host:port/dbname?key=value`; query keys pass through to libpq.
    init(url: String, applicationName: String = "stack-replication") throws {
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
        parameters.append(("replication", "database"))
        self.parameters = parameters
    }

    /// Host, port and database for logs (never the password).
    var logDescription: String {
        let values = Dictionary(parameters, uniquingKeysWith: { _, last in last })
        return "\(values["host"] ?? "localhost"):\(values["port"] ?? "5432")/\(values["dbname"] ?? "")"
    }
}
