import Logging
import NIOCore
import PostgresNIO
import StackCore

extension DatabaseURL {
    /// Opens one connection and closes it: fails within `timeout` when the server is down, where the pool would
    /// keep retrying for a minute. Returns `server_version_num`.
    @discardableResult
    public func probe(timeout: TimeAmount = .seconds(5), logger: Logger) async throws -> Int {
        let tls: PostgresConnection.Configuration.TLS
        switch sslMode ?? (isLoopback ? "disable" : "prefer") {
        case "disable": tls = .disable
        case "require", "verify-ca", "verify-full": tls = .require(try .init(configuration: .makeClientConfiguration()))
        default: tls = .prefer(try .init(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls)
        configuration.options.connectTimeout = timeout
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        defer { Task { try? await connection.close() } }
        let rows = try await connection.query("SELECT current_setting('server_version_num')::int", logger: logger)
        for try await version in rows.decode(Int.self) { return version }
        return 0
    }
}
