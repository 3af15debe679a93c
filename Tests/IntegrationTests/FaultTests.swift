import Foundation
import PostgresNIO
import StackCore
import StackPostgres
import StackProtocol
import StackTesting
import Testing

/// Faults injected into a real `stack up` process: nothing committed is lost or duplicated.
@Suite("fault injection", .serialized)
struct FaultTests {
    /// A `stack up` child process on a test database (Postgres survives the kills: it is the test cluster).
    struct Child {
        let config: String
        let syncURL: String
        let audience: String
        var pid: pid_t = 0

        init(database: TestDatabase) throws {
            let api = try PortProbe.freePort()
            let sync = try PortProbe.freePort()
            audience = "http://127.0.0.1:\(api)"
            syncURL = "http://127.0.0.1:\(sync)"
            config = try writeConfig(
                """
                state_dir: \(NSTemporaryDirectory())stack-fault-\(UUID().uuidString.prefix(8))
                postgres:
                  url: \(database.url)
                auth:
                  base_url: \(audience)
                  secret: test-secret-0123456789abcdef0123456789
                api:
                  listen: 127.0.0.1:\(api)
                sync:
                  listen: 127.0.0.1:\(sync)
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
                sync_rules:
                  bucket_definitions:
                    user_docs:
                      parameters: SELECT request.user_id() as user_id
                      data:
                        - SELECT id, title FROM documents WHERE owner_id = bucket.user_id
                """)
        }

        /// Starts `stack up` and waits until its sync service is ready (a checkpoint exists).
        mutating func start() async throws {
            for attempt in 1...10 {
                pid = try ProcessRunner.spawnDetached(
                    [stackBinary, "up", "--config", config], logFile: config + ".log")
                let (url, pid) = (syncURL, self.pid)
                let status = try await eventually(timeout: .seconds(60)) { () async -> Int in
                    var exit: Int32 = 0
                    if waitpid(pid, &exit, WNOHANG) == pid || !ProcessRunner.isRunning(pid) { return -1 }
                    return (try? await HTTPTestClient.send("GET", url + "/probes/readiness").status) ?? 0
                } until: {
                    $0 == 200 || $0 == -1
                }
                if status == 200 { return }
                // Right after a kill -9 a port of the old process can stay busy for a moment: start again.
                let log = (try? String(contentsOfFile: config + ".log", encoding: .utf8)) ?? ""
                guard log.contains("STACK-S001"), attempt < 10 else {
                    throw SyncTestError("stack up exited before it was ready: \(log.suffix(800))")
                }
                try await Task.sleep(for: .seconds(1))
            }
        }

        func kill(_ signal: Int32) async {
            _ = Foundation.kill(pid, signal)
            let pid = self.pid
            // The child is in its own session, not ours: poll until it is gone, off the cooperative pool.
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async {
                    var status: Int32 = 0
                    for _ in 0..<500 where ProcessRunner.isRunning(pid) {
                        waitpid(pid, &status, WNOHANG)
                        usleep(10_000)
                    }
                    continuation.resume()
                }
            }
        }
    }

    /// Inserts single-row transactions until told to stop; returns the ids committed.
    final class Writer: @unchecked Sendable {
        private let lock = NSLock()
        private var stopped = false
        private var committed: [String] = []

        func stop() { lock.withLock { stopped = true } }
        var ids: [String] { lock.withLock { committed } }

        func run(_ url: DatabaseURL, prefix: String) async throws {
            try await PostgresClient.withClient(url, logger: testLogger) { client in
                var index = 0
                while !self.lock.withLock({ self.stopped }) {
                    let id = "\(prefix)-\(index)"
                    try await readably("INSERT INTO documents … \(id)") {
                        try await client.query(
                            "INSERT INTO documents (id, title, owner_id) VALUES (\(id), 'burst', 'user-a')",
                            logger: testLogger)
                    }
                    self.lock.withLock { self.committed.append(id) }
                    index += 1
                }
            }
        }
    }

    @Test("kill -9 of stack up during a write burst, three times: every committed row in its bucket exactly once")
    func killDuringWriteBurst() async throws {
        let database = try await TestPostgres.shared().makeDatabase(prefix: "fault")
        var child = try Child(database: database)
        try await child.start()
        let writer = Writer()
        let writing = Task { try await writer.run(database.databaseURL, prefix: "w") }
        for round in 0..<3 {
            try await Task.sleep(for: .milliseconds(Int.random(in: 300...1200)))
            await child.kill(SIGKILL)
            #expect(!ProcessRunner.isRunning(child.pid), "round \(round): still running after SIGKILL")
            try await Task.sleep(for: .milliseconds(Int.random(in: 50...400)))
            try await child.start()
        }
        try await Task.sleep(for: .milliseconds(500))
        writer.stop()
        try await writing.value
        let ids = writer.ids
        // A loaded machine writes fewer rows; the property holds for whatever was committed.
        #expect(!ids.isEmpty, "the burst wrote nothing")

        // Every committed row is in the bucket storage exactly once (one PUT each: rows are never updated).
        try await eventually(timeout: .seconds(120)) {
            try await scalar(
                database.databaseURL,
                """
                SELECT ((SELECT count(*) FROM powersync.bucket_data WHERE row_id LIKE 'w-%') >= \(ids.count)
                  AND (SELECT max(last_checkpoint) FROM powersync.replication_streams WHERE state = 'ACTIVE')
                    >= (SELECT max(op_id) FROM powersync.bucket_data))::text
                """)
        } until: {
            $0 == "true"
        }
        let counts = try await scalar(
            database.databaseURL,
            "SELECT count(*) || '/' || count(DISTINCT row_id) FROM powersync.bucket_data WHERE row_id LIKE 'w-%'")
        #expect(counts == "\(ids.count)/\(ids.count)")

        // A client converges: all rows, each op once, checksums match.
        let token = TestTokens.make(sub: "user-a", audience: child.audience)
        let stream = try await SyncStreamConnection.open(child.syncURL, token: token)
        var model = ClientModel()
        for line in try await stream.untilComplete(timeout: .seconds(60)) { model.apply(line.line) }
        stream.close()
        #expect(model.rows("1#user_docs[\"user-a\"]").count == ids.count)
        #expect(model.duplicates.isEmpty)
        #expect(model.mismatches.isEmpty)
        await child.kill(SIGTERM)
    }

    @Test("Postgres connections of the stack killed during streaming: it reconnects and catches up, nothing lost")
    func postgresConnectionsKilledDuringStreaming() async throws {
        let database = try await TestPostgres.shared().makeDatabase(prefix: "fault")
        var child = try Child(database: database)
        try await child.start()
        let token = TestTokens.make(sub: "user-a", audience: child.audience)
        let stream = try await SyncStreamConnection.open(child.syncURL, token: token)
        _ = try await stream.untilComplete()
        try await execute(database.databaseURL, "INSERT INTO documents VALUES ('before', 'x', 'user-a')")
        // What a server restart does to the stack: every backend of this database (replication included) dies.
        try await execute(
            TestPostgres.shared().adminURL,
            """
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = '\(database.databaseURL.database)' AND pid <> pg_backend_pid()
            """)
        try await execute(database.databaseURL, "INSERT INTO documents VALUES ('after', 'y', 'user-a')")
        var model = ClientModel()
        _ = try await eventually(timeout: .seconds(30)) { () async throws -> Set<String> in
            // A stream that fails while the stack's pool replaces its dead connections is retried, as clients do.
            do {
                let fresh = try await SyncStreamConnection.open(child.syncURL, token: token)
                defer { fresh.close() }
                var current = ClientModel()
                for line in try await fresh.untilComplete() { current.apply(line.line) }
                model = current
                return Set(current.rows("1#user_docs[\"user-a\"]").keys)
            } catch {
                return []
            }
        } until: { (rows: Set<String>) in
            rows == ["before", "after"]
        }
        #expect(model.mismatches.isEmpty)
        #expect(ProcessRunner.isRunning(child.pid), "the stack exited instead of reconnecting")
        stream.close()
        await child.kill(SIGTERM)
    }
}
