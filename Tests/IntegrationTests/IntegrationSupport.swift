import Foundation
import Logging
import PostgresNIO
import StackConfig
import StackPostgres
import StackTesting

/// A quiet logger for tests.
let testLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()

/// Runs SQL statements (no parameters) against a database, in order.
func execute(_ url: DatabaseURL, _ statements: String...) async throws {
    try await PostgresClient.withClient(url, logger: testLogger) { client in
        for statement in statements {
            try await readably(statement) {
                try await client.query(PostgresQuery(unsafeSQL: statement), logger: testLogger)
            }
        }
    }
}

/// Runs `work`, replacing a PSQLError (whose description is a generic text) with the server's message or the
/// connection problem and the start of the statement, so a failing test says what failed.
func readably<T>(_ sql: String, _ work: () async throws -> T) async throws -> T {
    do {
        return try await work()
    } catch let error as PSQLError {
        throw SyncTestError("\(PostgresErrorText.describe(error)) in: \(sql.prefix(120))")
    }
}

/// Runs a query returning one text column, first row.
func scalar(_ url: DatabaseURL, _ sql: String) async throws -> String? {
    try await PostgresClient.withClient(url, logger: testLogger) { client in
        try await readably(sql) {
            let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: testLogger)
            for try await value in rows.decode(String?.self) { return value }
            return nil
        }
    }
}

/// Writes a config file into a fresh temporary directory and returns its path.
func writeConfig(_ yaml: String) throws -> String {
    let directory = NSTemporaryDirectory() + "stack-it-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let path = directory + "/stack.yaml"
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// A config for an external database with the notes table, on ports nobody uses.
func externalConfig(_ database: TestDatabase, extra: String = "") throws -> String {
    let api = try PortProbe.freePort()
    let sync = try PortProbe.freePort()
    return """
        state_dir: \(NSTemporaryDirectory())stack-it-state-\(UUID().uuidString.prefix(8))
        postgres:
          url: \(database.url)
        api:
          listen: 127.0.0.1:\(api)
        sync:
          listen: 127.0.0.1:\(sync)
        schema:
          tables:
            notes:
              columns:
                id: { type: text, primary_key: true }
                owner_id: text
                body: { type: text, nullable: false, default: "" }
                done: { type: boolean, nullable: false, default: false }
        \(extra)
        """
}

/// Applies the config's schema and publication the way `stack up` does.
func applySchema(_ configPath: String) async throws -> StackConfig {
    let config = try ConfigLoader().load(explicit: configPath)
    let url = try DatabaseURL(parsing: config.postgres.url!)
    _ = try await PostgresClient.withClient(url, logger: testLogger) { client in
        try await SchemaApplier(schema: config.schema, publication: config.sync.publication).apply(
            client: client, logger: testLogger)
    }
    return config
}

/// Runs `body` against an in-process stack of `yaml` (on `database`, else a fresh one) and stops the stack
/// afterwards, also when the body throws.
func withTestStack(
    yaml: String, database: TestDatabase? = nil, _ body: (TestStack) async throws -> Void
) async throws {
    let stack = try await TestStack.start(yaml: yaml, database: database)
    do {
        try await body(stack)
    } catch {
        try? await stack.stop()
        throw error
    }
    try await stack.stop()
}
