import Foundation
import NIOSSL
import PostgresNIO
import StackCore

/// A parsed `postgres://user:password@host:port/database?sslmode=…` URL.
public struct DatabaseURL: Sendable, CustomStringConvertible {
    /// Role name.
    public var user: String
    /// Password, if any (never printed).
    public var password: String?
    /// Host name or IP.
    public var host: String
    /// TCP port.
    public var port: Int
    /// Database name.
    public var database: String
    /// `sslmode` query parameter (`disable`, `prefer`, `require`, …); nil means prefer.
    public var sslMode: String?

    /// Creates a URL from its parts.
    public init(user: String, password: String?, host: String, port: Int, database: String, sslMode: String? = nil) {
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
        self.sslMode = sslMode
    }

    /// Parses a URL; the error never repeats the password.
    public init(parsing text: String) throws {
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"),
            let components = URLComponents(string: text), let host = components.host, !host.isEmpty
        else {
            throw StackError(
                "STACK-P010",
                "'\(Redaction.url(text))' is not a Postgres URL; expected postgres://user:password@host:5432/database")
        }
        user = components.user?.removingPercentEncoding ?? "postgres"
        password = components.password?.removingPercentEncoding
        self.host = host
        port = components.port ?? 5432
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? user : (path.removingPercentEncoding ?? path)
        sslMode = components.queryItems?.first { $0.name == "sslmode" }?.value
    }

    /// The same server with another database.
    public func with(database: String) -> DatabaseURL {
        var copy = self
        copy.database = database
        return copy
    }

    /// The URL as text, password included (for child processes' environments, never for logs).
    public var urlString: String {
        var out = "postgres://" + percentEncoded(user)
        if let password { out += ":" + percentEncoded(password) }
        out += "@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(percentEncoded(database))"
        if let sslMode { out += "?sslmode=\(sslMode)" }
        return out
    }

    /// The URL with the password masked: safe for logs and messages.
    public var description: String { Redaction.url(urlString) }

    /// A libpq conninfo string (values quoted per libpq rules), with extra keywords such as `replication`.
    public func conninfo(extra: [String: String] = [:]) -> String {
        var pairs: [(String, String)] = [
            ("host", host), ("port", String(port)), ("user", user), ("dbname", database),
        ]
        if let password { pairs.append(("password", password)) }
        if let sslMode { pairs.append(("sslmode", sslMode)) }
        pairs += extra.sorted { $0.key < $1.key }
        return pairs.map { key, value in
            "\(key)='" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
                + "'"
        }.joined(separator: " ")
    }

    /// A PostgresNIO client configuration for this URL.
    public func clientConfiguration() throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch sslMode ?? (isLoopback ? "disable" : "prefer") {
        case "disable": tls = .disable
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        default: tls = .prefer(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls)
        configuration.options.minimumConnections = 0
        configuration.options.maximumConnections = 10
        return configuration
    }

    /// True for 127.0.0.0/8, ::1 and localhost.
    public var isLoopback: Bool { host == "localhost" || host == "::1" || host.hasPrefix("127.") }

    private func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? text
    }
}
