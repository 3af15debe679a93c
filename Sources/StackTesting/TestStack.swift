import Foundation
import Logging
import PostgresNIO
import StackConfig
import StackCore
import StackPostgres
import StackServer

/// A whole `stack up` in-process for integration tests: its own database, ephemeral ports, no signal handling.
public final class TestStack: Sendable {
    /// Where the running stack can be reached.
    public let endpoints: StackEndpoints
    /// The configuration it runs with.
    public let config: StackConfig
    /// The test database it uses.
    public let database: TestDatabase
    private let task: Task<Void, Error>
    private let shutdown: @Sendable () -> Void

    /// Starts a stack on a fresh database of the shared test cluster.
    ///
    /// `yaml` is a config file body without `postgres:`, `api.listen`, `sync.listen` or `state_dir`; those are
    /// filled in (ephemeral ports, a temporary state directory). `auth.base_url` defaults to the api address.
    /// `database` reuses an existing test database (a restart); by default a fresh one is made.
    public static func start(
        yaml: String = TestStack.sampleConfig, database existing: TestDatabase? = nil, logLevel: Logger.Level = .warning
    ) async throws -> TestStack {
        // Free ports are picked before binding, so a parallel test can take one first: try again with new ports.
        var attempt = 0
        while true {
            do {
                return try await startOnce(yaml: yaml, database: existing, logLevel: logLevel)
            } catch where attempt < 4 && "\(error)".contains("already in use") {
                attempt += 1
            }
        }
    }

    private static func startOnce(
        yaml: String, database existing: TestDatabase?, logLevel: Logger.Level
    ) async throws -> TestStack {
        let postgres = try await TestPostgres.shared()
        let database = if let existing { existing } else { try await postgres.makeDatabase(prefix: "stack") }
        let stateDir = NSTemporaryDirectory() + "stack-state-\(UUID().uuidString.prefix(8))"
        let apiPort = try freePort()
        let syncPort = try freePort()
        let header = """
            state_dir: \(stateDir)
            postgres:
              url: \(database.url)

            """
        var body = yaml
        body = body.replacingOccurrences(of: "${API_LISTEN}", with: "127.0.0.1:\(apiPort)")
        body = body.replacingOccurrences(of: "${SYNC_LISTEN}", with: "127.0.0.1:\(syncPort)")
        let file = stateDir + "/stack.yaml"
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
        try (header + body).write(toFile: file, atomically: true, encoding: .utf8)
        let config = try ConfigLoader().load(explicit: file)
        var logger = Logger(label: "stack.test")
        logger.logLevel = logLevel
        let application = StackApplication(config: config, logger: logger, handleSignals: false)
        let ready = AsyncStream<Result<(StackEndpoints, @Sendable () -> Void), Error>>.makeStream()
        let task = Task {
            do {
                try await application.run { endpoints, stop in
                    ready.continuation.yield(.success((endpoints, stop)))
                    return .keepRunning
                }
            } catch {
                ready.continuation.yield(.failure(error))
                throw error
            }
            ready.continuation.finish()
        }
        for await outcome in ready.stream {
            let (endpoints, stop) = try outcome.get()
            return TestStack(endpoints: endpoints, config: config, database: database, task: task, shutdown: stop)
        }
        throw StackError("STACK-T001", "test stack ended before it was ready")
    }

    private init(
        endpoints: StackEndpoints, config: StackConfig, database: TestDatabase, task: Task<Void, Error>,
        shutdown: @escaping @Sendable () -> Void
    ) {
        self.endpoints = endpoints
        self.config = config
        self.database = database
        self.task = task
        self.shutdown = shutdown
    }

    /// Shuts the stack down gracefully and waits for it.
    public func stop() async throws {
        shutdown()
        try await task.value
        // The cluster is shared by every test of the process and has a fixed number of slots: give ours back.
        let logger = {
            var logger = Logger(label: "stack.test")
            logger.logLevel = .critical
            return logger
        }()
        try? await PostgresClient.withClient(database.databaseURL, logger: logger) { client in
            let rows = try await client.query(
                """
                SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
                  WHERE database = current_database() AND NOT active
                """, logger: logger)
            for try await _ in rows {}
        }
    }

    /// A free loopback port.
    public static func freePort() throws -> Int { try StackPostgresPorts.free() }

    /// The seed data model and rules, with placeholder listen addresses filled by `start`.
    public static let sampleConfig = """
        auth:
          base_url: http://${API_LISTEN}
          secret: test-secret-0123456789abcdef0123456789
        api:
          listen: ${API_LISTEN}
        sync:
          listen: ${SYNC_LISTEN}
        schema:
          tables:
            documents:
              columns:
                id: { type: text, primary_key: true }
                title: text
                content: { type: text, nullable: false, default: "" }
                owner_id: text
                pinned: { type: boolean, nullable: false, default: false }
                created_at: timestamp
                deleted_at: timestamp
            preferences:
              local_only: true
              columns: { id: { type: text, primary_key: true }, key: text, value: text }
        sync_rules:
          bucket_definitions:
            user_data:
              parameters: SELECT request.user_id() as user_id
              data:
                - SELECT * FROM documents WHERE owner_id = bucket.user_id
        """
}

/// Port helpers re-exported for tests.
enum StackPostgresPorts {
    static func free() throws -> Int { try PortProbe.freePort() }
}
