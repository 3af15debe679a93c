import Foundation
import PostgresNIO
import StackCore
import StackPostgres
import StackProtocol
import StackSyncRules
import StackTesting

/// A `stack up` child process on a test database whose sync rules live in `rules.yaml` next to the config, so a
/// test can change them and restart or reload; same ports across restarts.
final class SwapStack: @unchecked Sendable {
    /// One replication stream row.
    struct Stream: Equatable {
        /// Stream id.
        var id: Int
        /// PROCESSING, ACTIVE or STOP.
        var state: String
        /// Its slot.
        var slot: String
        /// Its checkpoint's op id (0 before the first).
        var checkpoint: Int64
        /// Its checkpoint's LSN ("" before the first).
        var lsn: String
    }

    /// The test database (also the bucket storage).
    let database: TestDatabase
    /// Config, rules, state directory and log.
    let directory: String
    /// `api.listen` port (the same across restarts).
    let apiPort: Int
    /// `sync.listen` port (the same across restarts).
    let syncPort: Int
    /// The running child, 0 when stopped.
    private(set) var pid: pid_t = 0
    private var blocker: OpenTransaction?

    /// The config file.
    var configPath: String { directory + "/stack.yaml" }
    /// The sync rules file the config points at.
    var rulesPath: String { directory + "/rules.yaml" }
    /// `state_dir`.
    var stateDir: String { directory + "/state" }
    /// The sync service's base URL.
    var syncURL: String { "http://127.0.0.1:\(syncPort)" }
    /// The database URL.
    var url: DatabaseURL { database.databaseURL }

    /// Makes a database and writes the config with `rules`; `start()` runs it.
    init(rules: String) async throws {
        database = try await TestPostgres.shared().makeDatabase(prefix: "swap")
        directory = NSTemporaryDirectory() + "stack-swap-\(UUID().uuidString.prefix(8))"
        apiPort = try PortProbe.freePort()
        syncPort = try PortProbe.freePort()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try """
        state_dir: \(stateDir)
        postgres:
          url: \(database.url)
        auth:
          base_url: http://127.0.0.1:\(apiPort)
          secret: test-secret-0123456789abcdef0123456789
        api:
          listen: 127.0.0.1:\(apiPort)
        sync:
          listen: 127.0.0.1:\(syncPort)
          jwks:
            keys:
              - { kty: oct, alg: HS256, kid: \(TestTokens.kid), k: \(TestTokens.secretBase64URL) }
        schema:
          tables:
            documents:
              columns:
                id: { type: text, primary_key: true }
                title: text
                owner_id: text
                status: text
            tags:
              columns:
                id: { type: text, primary_key: true }
                owner_id: text
                name: text
        sync_rules:
          path: rules.yaml
        """.write(toFile: configPath, atomically: true, encoding: .utf8)
        try writeRules(rules)
    }

    /// Replaces the sync rules file.
    func writeRules(_ rules: String) throws {
        try rules.write(toFile: rulesPath, atomically: true, encoding: .utf8)
    }

    /// A token for `user` signed with the config's static key.
    func token(_ user: String) -> String {
        TestTokens.make(sub: user, audience: "http://127.0.0.1:\(apiPort)")
    }

    /// Starts `stack up` and waits until its sync service is ready.
    func start() async throws {
        for attempt in 1...10 {
            pid = try ProcessRunner.spawnDetached(
                [stackBinary, "up", "--config", configPath], logFile: directory + "/stack.log")
            let (url, pid) = (syncURL, self.pid)
            let status = try await eventually(timeout: .seconds(60)) { () async -> Int in
                if !ProcessRunner.isRunning(pid) { return -1 }
                return (try? await HTTPTestClient.send("GET", url + "/probes/readiness").status) ?? 0
            } until: {
                $0 == 200 || $0 == -1
            }
            if status == 200 { return }
            // The port of the previous process can stay busy for a moment after it exited: start again.
            guard log.contains("STACK-S001"), attempt < 10 else {
                throw SyncTestError("stack up exited before it was ready: \(log.suffix(1500))")
            }
            try await Task.sleep(for: .seconds(1))
        }
    }

    /// The child's log so far.
    var log: String { (try? String(contentsOfFile: directory + "/stack.log", encoding: .utf8)) ?? "" }

    /// Stops the child gracefully (SIGTERM) and waits until it is gone.
    func stop() async throws {
        guard pid > 0 else { return }
        kill(pid, SIGTERM)
        let pid = self.pid
        _ = try await eventually(timeout: .seconds(90)) {
            !ProcessRunner.isRunning(pid)
        } until: {
            $0
        }
        self.pid = 0
    }

    /// Opens a transaction that holds back the creation of new slots (see `OpenTransaction`).
    func block() async throws {
        blocker = try await OpenTransaction.open(url)
    }

    /// Commits the transaction `block()` opened.
    func unblock() async throws {
        try await blocker?.commit(url)
        blocker = nil
    }

    /// Releases the blocker, stops the child (kill -9 if it does not stop) and gives the database's slots back to
    /// the shared test cluster.
    func cleanUp() async {
        try? await unblock()
        do {
            try await stop()
        } catch {
            kill(pid, SIGKILL)
            _ = try? await eventually(timeout: .seconds(30)) { [pid] in
                !ProcessRunner.isRunning(pid)
            } until: {
                $0
            }
        }
        try? await execute(
            url,
            """
            SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
            WHERE database = current_database() AND NOT active
            """)
    }

    /// Runs statements in order.
    func sql(_ statements: String...) async throws {
        for statement in statements { try await execute(url, statement) }
    }

    /// Every replication stream row, oldest first.
    func streams() async throws -> [Stream] {
        try await PostgresClient.withClient(url, logger: testLogger) { client in
            let rows = try await client.query(
                """
                SELECT id, state, slot_name, coalesce(last_checkpoint, 0), coalesce(last_checkpoint_lsn, '')
                FROM powersync.replication_streams ORDER BY id
                """, logger: testLogger)
            var result: [Stream] = []
            for try await (id, state, slot, checkpoint, lsn) in rows.decode((Int, String, String, Int64, String).self) {
                result.append(Stream(id: id, state: state, slot: slot, checkpoint: checkpoint, lsn: lsn))
            }
            return result
        }
    }

    /// The served stream (newest ACTIVE) once its checkpoint covers everything committed so far.
    func caughtUp(timeout: Duration = .seconds(60)) async throws -> Stream {
        let target = try await scalar(url, "SELECT pg_current_wal_lsn()::text") ?? "0/0"
        // A logical message lets an idle database's checkpoint pass the target.
        try await sql("SELECT pg_logical_emit_message(false, 'powersync', 'ping')")
        return try await eventually(timeout: timeout) { () async throws -> Stream? in
            let served = try await self.streams().last { $0.state == "ACTIVE" }
            guard let served, !served.lsn.isEmpty else { return nil }
            let covered = try await scalar(self.url, "SELECT ('\(served.lsn)'::pg_lsn >= '\(target)'::pg_lsn)::text")
            return covered == "true" ? served : nil
        } until: {
            $0 != nil
        }!
    }

    /// Slots of this database by name.
    func slots() async throws -> Set<String> {
        try await PostgresClient.withClient(url, logger: testLogger) { client in
            let rows = try await client.query(
                "SELECT slot_name::text FROM pg_replication_slots WHERE database = current_database()",
                logger: testLogger)
            var names: Set<String> = []
            for try await name in rows.decode(String.self) { names.insert(name) }
            return names
        }
    }

    /// Rows a stream still has in each bucket-storage table.
    func storedRows(stream: Int) async throws -> Int {
        var total = 0
        for table in ["bucket_data", "current_data", "bucket_parameters", "source_tables"] {
            total +=
                Int(
                    try await scalar(url, "SELECT count(*)::text FROM powersync.\(table) WHERE group_id = \(stream)")
                        ?? "") ?? -1
        }
        return total
    }

    /// Each bucket's live rows (object id → data) reduced from a stream's ops up to its checkpoint.
    func bucketContents(_ stream: Stream) async throws -> [String: [String: String]] {
        try await PostgresClient.withClient(url, logger: testLogger) { client in
            let rows = try await client.query(
                """
                SELECT bucket_name, op, coalesce(row_id, ''), coalesce(data, '') FROM powersync.bucket_data
                WHERE group_id = \(stream.id) AND op_id <= \(stream.checkpoint) ORDER BY op_id
                """, logger: testLogger)
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
    }

    /// What `rules` put into the buckets of `stream` for the current table contents (non-empty buckets).
    func expectedContents(_ rules: SyncRules, stream: Int) async throws -> [String: [String: String]] {
        try await PostgresClient.withClient(url, logger: testLogger) { client in
            var expected: [String: [String: String]] = [:]
            func add(_ table: String, _ row: SQLiteRow) {
                for output in rules.evaluateRow(table: table, row: row, streamID: String(stream)) {
                    expected[output.bucket, default: [:]][output.objectID] = output.data.jsonText
                }
            }
            func text(_ value: String?) -> SQLiteValue { value.map(SQLiteValue.text) ?? .null }
            let documents = try await client.query(
                "SELECT id, title, owner_id, status FROM documents", logger: testLogger)
            for try await (id, title, owner, status) in documents.decode((String, String?, String?, String?).self) {
                add(
                    "documents",
                    ["id": .text(id), "title": text(title), "owner_id": text(owner), "status": text(status)])
            }
            let tags = try await client.query("SELECT id, owner_id, name FROM tags", logger: testLogger)
            for try await (id, owner, name) in tags.decode((String, String?, String?).self) {
                add("tags", ["id": .text(id), "owner_id": text(owner), "name": text(name)])
            }
            return expected
        }
    }
}

/// A transaction kept open with an xid assigned: creating a logical slot waits until it ends, so a stream build
/// started meanwhile cannot finish before the test lets it.
final class OpenTransaction: @unchecked Sendable {
    private let release = AsyncStream<Void>.makeStream()
    private var task: Task<Void, Error>?

    /// Opens it and returns once the xid is assigned.
    static func open(_ url: DatabaseURL) async throws -> OpenTransaction {
        let transaction = OpenTransaction()
        let (opened, signal) = AsyncStream<Void>.makeStream()
        let release = transaction.release.stream
        transaction.task = Task {
            try await PostgresClient.withClient(url, logger: testLogger) { client in
                try await client.withConnection { connection in
                    try await connection.query("BEGIN", logger: testLogger)
                    try await connection.query("SELECT pg_current_xact_id()::text", logger: testLogger)
                    signal.finish()
                    for await _ in release {}
                    try await connection.query("COMMIT", logger: testLogger)
                }
            }
        }
        for await _ in opened {}
        return transaction
    }

    /// Commits it and waits; the slot being created can then reach a consistent point.
    func commit(_ url: DatabaseURL) async throws {
        release.continuation.finish()
        try await task?.value
        // Slot creation needs a running-transactions record after the commit; Postgres writes one every 15 s, this
        // writes it now (Postgres 16+; older servers just wait).
        try? await execute(url, "SELECT pg_log_standby_snapshot()")
    }
}

/// A sync client that stays connected across server restarts and stream swaps (it reconnects with its positions
/// whenever the stream ends) and records what it holds after each complete checkpoint.
final class SwapClient: @unchecked Sendable {
    /// The client's state after a `checkpoint_complete`.
    struct Snapshot {
        /// The checkpoint completed.
        var opID: Int64 = 0
        /// Rows (id → data) of every bucket of the checkpoint.
        var buckets: [String: [String: String]] = [:]
        /// Buckets whose checksum did not match.
        var mismatches: [String] = []
    }

    private let lock = NSLock()
    private var model = ClientModel()
    private var latest = Snapshot()
    private var seenLayouts: [Set<String>] = []
    /// Where it connects.
    let syncURL: String
    /// Its JWT.
    let token: String

    /// A client of `syncURL`; `run()` syncs.
    init(syncURL: String, token: String) {
        self.syncURL = syncURL
        self.token = token
    }

    /// What it held after the last complete checkpoint.
    var snapshot: Snapshot { lock.withLock { latest } }
    /// The bucket sets of every complete checkpoint, in order (a layout is listed when it changes).
    var layouts: [Set<String>] { lock.withLock { seenLayouts } }

    /// Syncs until cancelled.
    func run() async {
        while !Task.isCancelled {
            let request = StreamingSyncRequest(buckets: lock.withLock { model.request }, clientID: "swap-client")
            if let stream = try? await SyncStreamConnection.open(syncURL, token: token, request: request),
                stream.status == 200
            {
                while let line = try? await stream.next(timeout: .seconds(3600)) { apply(line.line) }
                stream.close()
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    private func apply(_ line: SyncLine) {
        lock.withLock {
            model.apply(line)
            guard case .checkpointComplete(let complete) = line else { return }
            var buckets: [String: [String: String]] = [:]
            for bucket in model.expected.keys { buckets[bucket] = model.rows(bucket) }
            latest = Snapshot(opID: complete.lastOpID.value, buckets: buckets, mismatches: model.mismatches)
            let layout = Set(buckets.keys)
            if seenLayouts.last != layout { seenLayouts.append(layout) }
        }
    }
}
