import Foundation
import Logging
import PostgresNIO
import StackBuckets
import StackConfig
import StackPGOutput
import StackPostgres
import StackReplication
import StackSyncRules
import StackTesting

/// A replication service on its own test database, started and stopped by the test.
final class ReplicationHarness: @unchecked Sendable {
    let database: TestDatabase
    let config: StackConfig
    let client: PostgresClient
    let storage: BucketStorage
    let rules: SyncRules
    let logger: Logger
    private let clientTask: Task<Void, Never>
    private var serviceTask: Task<Void, Error>?

    static let documentsConfig = """
        schema:
          tables:
            documents:
              columns:
                id: { type: text, primary_key: true }
                owner_id: text
                title: text
                content: text
        sync_rules:
          bucket_definitions:
            user_data:
              parameters: SELECT request.user_id() as user_id
              data:
                - SELECT * FROM documents WHERE owner_id = bucket.user_id
        """

    /// A harness on a new database of `cluster` (the shared test cluster by default).
    init(yaml: String = ReplicationHarness.documentsConfig, prefix: String = "repl", cluster: TestPostgres? = nil)
        async throws
    {
        let shared: TestPostgres
        if let cluster { shared = cluster } else { shared = try await TestPostgres.shared() }
        let cluster = shared
        database = try await cluster.makeDatabase(prefix: prefix)
        let stateDir = NSTemporaryDirectory() + "stack-repl-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
        let file = stateDir + "/stack.yaml"
        let header = """
            state_dir: \(stateDir)
            postgres:
              url: \(database.url)
            auth:
              base_url: http://127.0.0.1:1
              secret: test-secret-0123456789abcdef0123456789

            """
        try (header + yaml).write(toFile: file, atomically: true, encoding: .utf8)
        config = try ConfigLoader().load(explicit: file)
        var logger = Logger(label: "test.replication")
        logger.logLevel = ProcessInfo.processInfo.environment["STACK_TEST_LOG"] == nil ? .warning : .debug
        self.logger = logger
        client = PostgresClient(configuration: try database.databaseURL.clientConfiguration(), backgroundLogger: logger)
        let client = self.client
        clientTask = Task { await client.run() }
        storage = BucketStorage(client: client, schema: config.sync.storageSchema, logger: logger)
        rules = try SyncRulesLoader.rules(config.syncRules!)
        try await Migrator.run(
            BucketMigrations.all(schema: config.sync.storageSchema), namespace: BucketMigrations.namespace,
            client: client, logger: logger)
        _ = try await SchemaApplier(schema: config.schema, publication: config.sync.publication)
            .apply(client: client, logger: logger)
    }

    deinit {
        serviceTask?.cancel()
        clientTask.cancel()
    }

    /// Starts the replication service.
    func start(snapshotChunkRows: Int = 10_000) {
        let service = ReplicationService(
            config: config, storage: storage, databaseURL: database.url,
            availability: DatabaseAvailability(url: database.databaseURL, logger: logger), waitUntilReady: {},
            onCheckpoint: { _ in },
            snapshotChunkRows: snapshotChunkRows, logger: logger)
        serviceTask = Task { try await service.run() }
    }

    /// Stops it (cancellation, as graceful shutdown does) and waits.
    func stop() async throws {
        serviceTask?.cancel()
        _ = try? await serviceTask?.value
        serviceTask = nil
    }

    /// Runs SQL.
    func execute(_ sql: String) async throws {
        try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    }

    /// One text value.
    func value(_ sql: String) async throws -> String? {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        for try await value in rows.decode(String?.self) { return value }
        return nil
    }

    /// Waits until the served checkpoint covers everything written so far.
    ///
    /// Fails when replication makes no progress for `timeout`: no new checkpoint, no snapshot rows, no slot created
    /// or confirmed further. A fixed deadline failed on loaded CI runs (every test at once on two cores) while the
    /// snapshot was still moving; a stuck stream moves nothing.
    @discardableResult
    func waitForCatchUp(timeout: Duration = .seconds(60)) async throws -> Checkpoint {
        let target = LSN(try await value("SELECT pg_current_wal_lsn()::text") ?? "") ?? .zero
        try await execute("SELECT pg_logical_emit_message(false, 'powersync', 'ping')")
        var lastProgress = ContinuousClock.now
        var seen = ""
        while lastProgress.duration(to: .now) < timeout {
            let checkpoint = try await storage.latestCheckpoint()
            if let checkpoint, checkpoint.lsn >= target { return checkpoint }
            let now = "\(String(describing: checkpoint?.opID)) \(try await progressMarks())"
            if now != seen { (seen, lastProgress) = (now, .now) }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError(message: "replication did not reach \(target): no progress for \(timeout) (last: \(seen))")
    }

    /// Snapshot rows stored and this database's slots with their confirmed positions.
    private func progressMarks() async throws -> String {
        let schema = config.sync.storageSchema
        return try await value(
            """
            SELECT concat_ws(' ', (SELECT sum(snapshot_replicated_count) FROM "\(schema)".source_tables),
              (SELECT string_agg(slot_name || '@' || coalesce(confirmed_flush_lsn::text, '-'), ',')
               FROM pg_replication_slots WHERE database = current_database()))
            """) ?? ""
    }

    /// Each bucket's live rows (object id → data) reduced from its ops up to the checkpoint, as a client would.
    func bucketContents(_ checkpoint: Checkpoint) async throws -> [String: [String: String]] {
        let rows = try await client.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT bucket_name, op, coalesce(row_id, ''), coalesce(data, '') FROM \(config.sync.storageSchema).bucket_data
                    WHERE group_id = \(checkpoint.streamID) AND op_id <= \(checkpoint.opID) ORDER BY op_id
                    """), logger: logger)
        var contents: [String: [String: String]] = [:]
        for try await (bucket, op, id, data) in rows.decode((String, String, String, String).self) {
            switch op {
            case "PUT": contents[bucket, default: [:]][id] = data
            case "REMOVE": contents[bucket, default: [:]][id] = nil
            default: break
            }
        }
        return contents.filter { !$0.value.isEmpty }
    }

    /// What the rules say the buckets hold for the current documents table (text columns only).
    func expectedDocuments(streamID: Int) async throws -> [String: [String: String]] {
        let rows = try await client.query(
            "SELECT id, owner_id, title, content FROM documents", logger: logger)
        var expected: [String: [String: String]] = [:]
        for try await (id, owner, title, content) in rows.decode((String, String, String?, String?).self) {
            let row: SQLiteRow = [
                "id": .text(id), "owner_id": .text(owner), "title": title.map(SQLiteValue.text) ?? .null,
                "content": content.map(SQLiteValue.text) ?? .null,
            ]
            for output in rules.evaluateRow(table: "documents", row: row, streamID: String(streamID)) {
                expected[output.bucket, default: [:]][output.objectID] = output.data.jsonText
            }
        }
        return expected
    }

    /// Checks every stored checksum against SHA-256 computed by Postgres itself; returns the mismatches.
    func checksumMismatches(stream: Int) async throws -> Int {
        let s = config.sync.storageSchema
        let count = try await value(
            """
            WITH h AS (
              SELECT checksum, CASE op
                WHEN 'PUT' THEN sha256(convert_to('put.' || table_name || '.' || row_id || '.' || data, 'UTF8'))
                ELSE sha256(convert_to('delete.' || source_table || '/'
                  || encode(substring(sha256(convert_to(source_key, 'UTF8')) from 1 for 16), 'hex'), 'UTF8')) END AS d
              FROM \(s).bucket_data WHERE group_id = \(stream) AND op IN ('PUT', 'REMOVE'))
            SELECT count(*)::text FROM h WHERE checksum <> get_byte(d, 0)::bigint + get_byte(d, 1)::bigint * 256
              + get_byte(d, 2)::bigint * 65536 + get_byte(d, 3)::bigint * 16777216
            """)
        return Int(count ?? "") ?? -1
    }

    /// Number of ops of a stream.
    func opCount(stream: Int, op: String? = nil) async throws -> Int {
        let filter = op.map { " AND op = '\($0)'" } ?? ""
        return Int(
            try await value(
                "SELECT count(*)::text FROM \(config.sync.storageSchema).bucket_data WHERE group_id = \(stream)\(filter)"
            )
                ?? "") ?? -1
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
