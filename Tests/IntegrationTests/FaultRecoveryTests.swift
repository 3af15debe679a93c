import Crypto
import Foundation
import GRDB
import PostgresNIO
import StackClient
import StackPostgres
import StackProtocol
import StackTesting
import Testing

/// Faults around a running stack: Postgres restarted under it, a device killed mid-upload, the JWKS endpoint gone
/// for a while, a replication slot lost while the stack was down. Each test checks that no row was lost, none
/// arrived twice and checksums match.
@Suite("fault recovery", .serialized)
struct FaultRecoveryTests {
    typealias CLI = ClientCLITests
    typealias Device = ClientResilienceTests

    /// The client CLI config plus the static HS256 key of `TestTokens`, for raw sync streams.
    static let streamYAML = CLI.yaml.replacingOccurrences(
        of: "  listen: ${SYNC_LISTEN}",
        with: """
              listen: ${SYNC_LISTEN}
              jwks:
                keys:
                  - { kty: oct, alg: HS256, kid: \(TestTokens.kid), k: \(TestTokens.secretBase64URL) }
            """)

    // MARK: Postgres restarted

    @Test(
        "Postgres restarted while a client streams: the stack reconnects, the client resumes, every row arrives once")
    func postgresRestartDuringStreaming() async throws {
        try await Self.withFollowedStack { cluster, stack, url, token, model in
            // Single-row transactions committed just before the server goes down: replication may not have
            // read them yet, and the stream is open.
            try await Self.insertEach(url, (0..<20).map { "during-\($0)" }, owner: "user-a")
            try await Self.restart(cluster)
            try await execute(url, Self.insertDocuments("after", count: 100, owner: "user-a"))

            let reconnects = try await Self.follow(stack.endpoints.syncURL, token: token, model: &model) {
                Self.rows($0).count == 220
            }
            let expected = Set(
                (1...100).map { "before-\($0)" } + (0..<20).map { "during-\($0)" } + (1...100).map { "after-\($0)" }
            )
            #expect(Set(Self.rows(model).keys) == expected)
            #expect(model.duplicates.isEmpty, "\(model.duplicates.prefix(5))")
            #expect(model.mismatches.isEmpty)
            print("postgres restart during streaming: the client reconnected \(reconnects) time(s)")
            // Storage holds one op per row: nothing replicated twice around the restart.
            let counts = try await scalar(
                url, "SELECT count(*) || '/' || count(DISTINCT row_id) FROM powersync.bucket_data")
            #expect(counts == "220/220")

            // A client starting now gets the same rows.
            var fresh = ClientModel()
            _ = try await Self.follow(stack.endpoints.syncURL, token: token, model: &fresh) {
                Self.rows($0).count == 220
            }
            #expect(Self.rows(fresh) == Self.rows(model))
        }
    }

    @Test("Postgres stopped while replication receives a large transaction: it stops at once, rows arrive once")
    func postgresStopDuringLargeTransaction() async throws {
        try await Self.withFollowedStack { cluster, stack, url, token, model in
            // The walsender is still decoding and sending this transaction when the server terminates the
            // stack's storage connections, so the stream writes its batch while Postgres refuses new sessions.
            // The walsender waits for the stack to confirm that WAL before Postgres can stop; a write waiting
            // for the pool to reconnect kept both waiting past pg_ctl's timeout.
            let count = 30_000
            try await execute(url, Self.insertDocuments("big", count: count, owner: "user-a"))
            let started = ContinuousClock.now
            try await Self.restart(cluster, stopTimeout: 30)
            print("postgres stop during a large transaction: restarted in \(started.duration(to: .now))")

            _ = try await Self.follow(stack.endpoints.syncURL, token: token, model: &model, timeout: .seconds(90)) {
                Self.rows($0).count == count + 100
            }
            #expect(Self.rows(model).count == count + 100)
            #expect(model.duplicates.isEmpty, "\(model.duplicates.prefix(5))")
            #expect(model.mismatches.isEmpty)
            let counts = try await scalar(
                url, "SELECT count(*) || '/' || count(DISTINCT row_id) FROM powersync.bucket_data")
            #expect(counts == "\(count + 100)/\(count + 100)")
        }
    }

    @Test("ServerPing and the availability gate: a server that refuses sessions while it shuts down counts as down")
    func pingDuringShutdown() async throws {
        try await Self.withCluster { cluster in
            let database = try await cluster.makeDatabase(prefix: "ping")
            let url = database.databaseURL
            #expect(await ServerPing.ping(url) == .accepting)
            var wrongPassword = url
            wrongPassword.password = "not-the-password"
            #expect(await ServerPing.ping(wrongPassword) == .accepting, "the server answers before authentication")

            // A smart shutdown waits for open sessions and refuses new ones meanwhile (SQLSTATE 57P03).
            let session = try await PostgresConnection.connect(
                configuration: .init(
                    host: url.host, port: url.port, username: url.user, password: url.password,
                    database: url.database, tls: .disable), id: 1, logger: testLogger)
            let managed = cluster.managed
            let stopping = try await blocking {
                try ProcessRunner.run(
                    managed.binaries.path("pg_ctl"), ["stop", "-D", managed.dataDir, "-m", "smart", "-W"],
                    asUser: managed.runAs)
            }
            #expect(stopping.status == 0, "\(stopping.output)")
            let answer = try await eventually(timeout: .seconds(20)) {
                await ServerPing.ping(url)
            } until: {
                $0 != .accepting
            }
            #expect(answer == .rejecting)

            // A fresh pool cannot connect: its lease would wait a minute. The gate gives up within seconds.
            let gate = DatabaseAvailability(url: url, logger: testLogger, probeAfter: .milliseconds(200))
            let waited = ContinuousClock.now
            await #expect(throws: DatabaseUnavailable.self) {
                try await PostgresClient.withClient(url, logger: testLogger) { client in
                    try await gate.abandoningWhenUnreachable {
                        try await client.query("SELECT 1", logger: testLogger)
                    }
                }
            }
            #expect(waited.duration(to: .now) < .seconds(30), "the gate answered, not the pool")

            try await session.close()
            let stopped = try await eventually(timeout: .seconds(30)) {
                await ServerPing.ping(url)
            } until: {
                $0 == .noResponse
            }
            #expect(stopped == .noResponse)
            // The port is closed, so the gate refuses at once.
            await #expect(throws: DatabaseUnavailable.self) {
                try await gate.abandoningWhenUnreachable { try await Task.sleep(for: .seconds(60)) }
            }
        }
    }

    @Test(
        "Postgres restarted while a device uploads: the upload in flight is retried by the device and applied once")
    func postgresRestartDuringUpload() async throws {
        try await Self.withCluster { cluster in
            let database = try await cluster.makeDatabase(prefix: "restart")
            try await withTestStack(yaml: CLI.yaml, database: database) { stack in
                let url = database.databaseURL
                try await execute(url, Self.applyLog)
                let user = try await Device.signUp(stack, device: "a", "ivy@example.com")
                let total = 120
                let ids = try Self.queueInserts(stack, device: "a", count: total)
                let watch = try StackChild(
                    ["client", "sync", "--watch", "--config", stack.config.file, "--device", "a"])
                let blocker = try await UploadBlocker.engage(url, afterApplied: 5)
                try #require(blocker.applied < total, "the upload finished before it could be blocked")
                // The restart rolls back the blocked upload (and the lock holder): the device got no answer.
                try await Self.restart(cluster)
                blocker.abandon()
                print("postgres restart during upload: \(blocker.applied) of \(total) applied when it went down")

                let converged = try await eventuallyTrue(timeout: .seconds(60)) {
                    try Device.count(stack, "a", "ps_crud") == 0
                        && Device.count(stack, "a", "ps_data__documents") == total
                }
                #expect(converged, "the device did not finish uploading and downloading: \(watch.err.suffix(2000))")
                watch.kill(SIGTERM)
                _ = await watch.wait()

                try await Self.expectAppliedOnce(url, ids: ids, owner: user)
                let markers = try await scalar(url, "SELECT count(*)::text FROM stack_upload.applied_transactions")
                #expect(markers == "\(total)")
                let status = try await CLI.status(stack, device: "a")
                #expect(status["rejected_uploads"] as? Int == 0, "\(status)")
                #expect(status["last_checksum_mismatch"] is NSNull, "\(status)")
            }
        }
    }

    // MARK: A device killed mid-upload

    @Test("a device killed (kill -9) mid-upload resumes: the upload applied but never answered is not applied again")
    func deviceKilledMidUpload() async throws {
        try await CLI.withStack { stack in
            let url = stack.database.databaseURL
            try await execute(url, Self.applyLog)
            let user = try await Device.signUp(stack, device: "a", "joe@example.com")
            let total = 120
            let ids = try Self.queueInserts(stack, device: "a", count: total)
            let upload = try StackChild(["client", "upload", "--config", stack.config.file, "--device", "a"])
            let blocker = try await UploadBlocker.engage(url, afterApplied: 5)
            try #require(blocker.applied < total, "the upload finished before it could be blocked")
            upload.kill(SIGKILL)
            _ = await upload.wait()
            // Every answered transaction is completed on the device; the blocked one is still queued there.
            let pending = try Device.count(stack, "a", "ps_crud")
            #expect(pending == total - blocker.applied, "applied \(blocker.applied), pending \(pending)")

            // The server goes on with the upload whose client is gone: applied, never acknowledged.
            await blocker.finish()
            let appliedUnanswered = try await Self.waitFor {
                try await scalar(url, "SELECT count(*)::text FROM stack_upload.applied_transactions")
                    == "\(blocker.applied + 1)"
            }
            #expect(appliedUnanswered)

            // The restarted device sends it again: acknowledged, not applied again; then the rest.
            // One request per transaction: give a loaded machine time.
            let resumed = try await CLI.client(stack, device: "a", "sync", "--timeout", "120")
            #expect(resumed.status == 0 && resumed.out.contains("caught up"), "\(resumed.err)")
            #expect(try Device.count(stack, "a", "ps_crud") == 0)
            #expect(try Device.count(stack, "a", "ps_data__documents") == total)
            try await Self.expectAppliedOnce(url, ids: ids, owner: user)
            let status = try await CLI.status(stack, device: "a")
            #expect(status["rejected_uploads"] as? Int == 0, "\(status)")
            #expect(status["last_checksum_mismatch"] is NSNull, "\(status)")
        }
    }

    // MARK: JWKS endpoint unavailable

    @Test(
        "JWKS endpoint down for a while: tokens with a known kid keep verifying; back with a new key, its kid is accepted"
    )
    func jwksEndpointOutage() async throws {
        let keyA = ECSigner(kid: "key-a")
        let keyB = ECSigner(kid: "key-b")
        var listener = try await TestListener.start(body: ECSigner.jwks([keyA]))
        let port = listener.port
        let yaml = TestStack.sampleConfig.replacingOccurrences(
            of: "  listen: ${SYNC_LISTEN}",
            with: "  listen: ${SYNC_LISTEN}\n  jwks_uri: http://127.0.0.1:\(port)/api/auth/jwks")
        do {
            try await withTestStack(yaml: yaml) { stack in
                let audience = stack.config.sync.audience[0]
                try await execute(
                    stack.database.databaseURL,
                    Self.insertDocuments("doc", count: 10, owner: "user-a"))
                try await waitForOps(stack, atLeast: 10)
                let sync = stack.endpoints.syncURL
                // First use fetches the JWKS.
                #expect(try await Self.syncedRows(sync, token: keyA.token(sub: "user-a", audience: audience)) == 10)

                await listener.stop()
                #expect(try await Self.syncedRows(sync, token: keyA.token(sub: "user-a", audience: audience)) == 10)
                // An unknown kid makes the verifier fetch; the fetch fails; the token is refused...
                let unknown = try await SyncStreamConnection.open(
                    sync, token: ECSigner(kid: "key-x").token(sub: "user-a", audience: audience))
                unknown.close()
                #expect(unknown.status == 401, "\(unknown.errorBody ?? "")")
                // ...and the keys fetched before are kept.
                #expect(try await Self.syncedRows(sync, token: keyA.token(sub: "user-a", audience: audience)) == 10)

                // Back, rotated: only key B. Refetches are rate limited, so the first tries may still be refused.
                listener = try await TestListener.start(body: ECSigner.jwks([keyB]), port: port)
                let accepted = try await eventually(timeout: .seconds(40)) {
                    let stream = try await SyncStreamConnection.open(
                        sync, token: keyB.token(sub: "user-a", audience: audience))
                    stream.close()
                    return stream.status
                } until: {
                    $0 == 200
                }
                #expect(accepted == 200)
                #expect(try await Self.syncedRows(sync, token: keyB.token(sub: "user-a", audience: audience)) == 10)
                // Key A left the JWKS: its tokens are refused now.
                let old = try await SyncStreamConnection.open(
                    sync, token: keyA.token(sub: "user-a", audience: audience))
                old.close()
                #expect(old.status == 401, "\(old.errorBody ?? "")")
            }
        } catch {
            await listener.stop()
            throw error
        }
        await listener.stop()
    }

    // MARK: Lost replication slot

    @Test("slot lost while the stack is down (max_slot_wal_keep_size exceeded): the stack rebuilds, clients converge")
    func lostSlotIsRebuilt() async throws {
        try await Self.withCluster(["max_slot_wal_keep_size": "1MB"]) { cluster in
            let database = try await cluster.makeDatabase(prefix: "lostslot")
            let url = database.databaseURL
            var child = try FaultTests.Child(database: database)
            try await child.start()
            let token = TestTokens.make(sub: "user-a", audience: child.audience)
            try await execute(url, Self.insertDocuments("old", count: 100, owner: "user-a", titleOnly: true))
            var resumed = ClientModel()
            _ = try await Self.follow(child.syncURL, token: token, model: &resumed) { Self.rows($0).count == 100 }
            let oldSlot = try #require(
                try await scalar(url, "SELECT slot_name FROM powersync.replication_streams WHERE state = 'ACTIVE'"))
            await child.kill(SIGTERM)

            // While the stack is down: changes it must pick up, then more WAL than the slot may keep.
            try await execute(
                url, Self.insertDocuments("new", count: 50, owner: "user-a", titleOnly: true),
                "DELETE FROM documents WHERE id IN ('old-1', 'old-2', 'old-3')",
                "UPDATE documents SET title = 'renamed' WHERE id = 'old-4'",
                "CREATE TABLE filler (n integer)")
            let lost = try await Self.waitFor(timeout: .seconds(40)) {
                try await execute(
                    url, "INSERT INTO filler SELECT g FROM generate_series(1, 300000) AS g", "TRUNCATE filler",
                    "SELECT pg_switch_wal()", "CHECKPOINT")
                return try await scalar(
                    url, "SELECT wal_status FROM pg_replication_slots WHERE slot_name = '\(oldSlot)'")
                    == "lost"
            }
            try #require(lost, "the slot was not invalidated")

            try await child.start()
            let expected = try await Self.serverTitles(url, owner: "user-a")
            #expect(expected.count == 147)
            // A client that held the old stream's data resumes and converges (after re-downloading on a checksum
            // mismatch, as clients do); a new client gets the same.
            _ = try await Self.follow(child.syncURL, token: token, model: &resumed, timeout: .seconds(60)) {
                Self.titles($0) == expected
            }
            #expect(resumed.duplicates.isEmpty, "\(resumed.duplicates.prefix(5))")
            var fresh = ClientModel()
            _ = try await Self.follow(child.syncURL, token: token, model: &fresh) { Self.titles($0) == expected }
            #expect(fresh.duplicates.isEmpty)
            #expect(fresh.mismatches.isEmpty)

            let active = try await scalar(
                url, "SELECT slot_name FROM powersync.replication_streams WHERE state = 'ACTIVE'")
            #expect(active != nil && active != oldSlot, "the served stream still uses the lost slot")
            let oldGone = try await Self.waitFor {
                try await scalar(url, "SELECT count(*)::text FROM pg_replication_slots WHERE slot_name = '\(oldSlot)'")
                    == "0"
            }
            #expect(oldGone, "the lost slot was not dropped")
            // Replication goes on from the new slot.
            try await execute(url, "INSERT INTO documents (id, title, owner_id) VALUES ('later', 'x', 'user-a')")
            _ = try await Self.follow(child.syncURL, token: token, model: &fresh) { Self.rows($0)["later"] != nil }
            #expect(fresh.mismatches.isEmpty)
            await child.kill(SIGTERM)
        }
    }

    @Test("publication dropped under a running stack: after a restart recreates it, a new stream takes over")
    func droppedPublicationIsRebuilt() async throws {
        try await Self.withCluster([:]) { cluster in
            let database = try await cluster.makeDatabase(prefix: "droppub")
            let url = database.databaseURL
            var child = try FaultTests.Child(database: database)
            try await child.start()
            let token = TestTokens.make(sub: "user-a", audience: child.audience)
            try await execute(url, Self.insertDocuments("old", count: 20, owner: "user-a", titleOnly: true))
            var model = ClientModel()
            _ = try await Self.follow(child.syncURL, token: token, model: &model) { Self.rows($0).count == 20 }
            let oldSlot = try #require(
                try await scalar(url, "SELECT slot_name FROM powersync.replication_streams WHERE state = 'ACTIVE'"))

            // A change while the publication is gone stops the slot there for good (pgoutput reads the publication
            // as of each change).
            try await execute(
                url, "DROP PUBLICATION powersync", "UPDATE documents SET title = 'while-dropped' WHERE id = 'old-1'")
            await child.kill(SIGTERM)
            try await child.start()  // recreates the publication
            try await execute(url, "UPDATE documents SET title = 'after-restart' WHERE id = 'old-2'")
            let expected = try await Self.serverTitles(url, owner: "user-a")
            #expect(expected["old-1"] == "while-dropped" && expected["old-2"] == "after-restart")
            _ = try await Self.follow(child.syncURL, token: token, model: &model, timeout: .seconds(60)) {
                Self.titles($0) == expected
            }
            #expect(model.duplicates.isEmpty)
            let active = try await scalar(
                url, "SELECT slot_name FROM powersync.replication_streams WHERE state = 'ACTIVE'")
            #expect(active != nil && active != oldSlot, "the served stream still uses the stuck slot")
            await child.kill(SIGTERM)
        }
    }

    // MARK: Support

    /// The rows a client holds, over all its buckets (object id → data).
    static func rows(_ model: ClientModel) -> [String: String] {
        var result: [String: String] = [:]
        for bucket in model.oplog.keys { result.merge(model.rows(bucket)) { first, _ in first } }
        return result
    }

    /// Follows the sync stream as a client does: applies every line; when the stream ends or cannot be opened it
    /// reconnects from the positions it holds; after a checksum mismatch it drops those buckets and downloads them
    /// again. Returns the number of reconnects once a complete checkpoint satisfies `done`.
    @discardableResult
    static func follow(
        _ syncURL: String, token: String, model: inout ClientModel, timeout: Duration = .seconds(45),
        until done: (ClientModel) -> Bool
    ) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        var reconnects = -1
        var lastProblem = "none"
        while ContinuousClock.now < deadline {
            reconnects += 1
            let request = StreamingSyncRequest(buckets: model.request, clientID: "follower")
            guard let stream = try? await SyncStreamConnection.open(syncURL, token: token, request: request) else {
                lastProblem = "the sync service did not answer"
                try await Task.sleep(for: .milliseconds(200))
                continue
            }
            defer { stream.close() }
            guard stream.status == 200 else {
                lastProblem = "HTTP \(stream.status) \(stream.errorBody ?? "")"
                try await Task.sleep(for: .milliseconds(200))
                continue
            }
            reading: while ContinuousClock.now < deadline {
                let received: ReceivedLine?
                do {
                    received = try await stream.next(timeout: .seconds(1))
                } catch {
                    continue  // nothing new yet; the stream is open
                }
                guard let line = received else {
                    lastProblem = "the stream ended"
                    break reading
                }
                model.apply(line.line)
                guard case .checkpointComplete = line.line else { continue }
                let mismatched = model.mismatches
                if !mismatched.isEmpty {
                    lastProblem = "checksum mismatch in \(mismatched)"
                    for bucket in mismatched { model.drop(bucket) }
                    break reading
                }
                if done(model) { return reconnects }
            }
        }
        throw SyncTestError(
            "the client did not converge within \(timeout): \(rows(model).count) rows, last problem: \(lastProblem)")
    }

    /// Rows a fresh client downloads with `token` (after the first complete checkpoint).
    static func syncedRows(_ syncURL: String, token: String) async throws -> Int {
        let stream = try await SyncStreamConnection.open(syncURL, token: token)
        defer { stream.close() }
        guard stream.status == 200 else { throw SyncTestError("HTTP \(stream.status) \(stream.errorBody ?? "")") }
        var model = ClientModel()
        for line in try await stream.untilComplete() { model.apply(line.line) }
        return rows(model).count
    }

    /// The titles a client holds (id → title).
    static func titles(_ model: ClientModel) -> [String: String] {
        rows(model).mapValues { data in
            let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any]
            return object?["title"] as? String ?? "<no title in \(data)>"
        }
    }

    /// The titles of the owner's documents in Postgres (id → title).
    static func serverTitles(_ url: DatabaseURL, owner: String) async throws -> [String: String] {
        try await PostgresClient.withClient(url, logger: testLogger) { client in
            let rows = try await client.query(
                "SELECT id, title FROM documents WHERE owner_id = \(owner)", logger: testLogger)
            var result: [String: String] = [:]
            for try await (id, data) in rows.decode((String, String).self) { result[id] = data }
            return result
        }
    }

    /// Polls `condition` until it holds or `timeout` passes; returns whether it held.
    static func waitFor(timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    /// `count` documents `<prefix>-1…` of `owner` in one statement.
    static func insertDocuments(_ prefix: String, count: Int, owner: String, titleOnly: Bool = false) -> String {
        """
        INSERT INTO documents (id, title, owner_id\(titleOnly ? "" : ", created_at"))
          SELECT '\(prefix)-' || g, 'document ' || g, '\(owner)'\(titleOnly ? "" : ", now()")
          FROM generate_series(1, \(count)) AS g
        """
    }

    /// One transaction per document.
    static func insertEach(_ url: DatabaseURL, _ ids: [String], owner: String) async throws {
        try await PostgresClient.withClient(url, logger: testLogger) { client in
            for id in ids {
                try await client.query(
                    "INSERT INTO documents (id, title, owner_id) VALUES (\(id), 'single', \(owner))", logger: testLogger
                )
            }
        }
    }

    /// Counts every write of a `documents` row (insert or update) in `apply_log`, to prove an upload applied once.
    static let applyLog = """
        DO $$
        BEGIN
          CREATE TABLE apply_log (id text PRIMARY KEY, writes integer NOT NULL);
          CREATE FUNCTION log_apply() RETURNS trigger LANGUAGE plpgsql AS $f$
          BEGIN
            INSERT INTO apply_log VALUES (NEW.id, 1) ON CONFLICT (id) DO UPDATE SET writes = apply_log.writes + 1;
            RETURN NEW;
          END
          $f$;
          CREATE TRIGGER log_apply AFTER INSERT OR UPDATE ON documents FOR EACH ROW EXECUTE FUNCTION log_apply();
        END
        $$
        """

    /// Every id is in Postgres with the owner, written exactly once.
    static func expectAppliedOnce(_ url: DatabaseURL, ids: [String], owner: String) async throws {
        let summary = try await scalar(
            url,
            """
            SELECT count(*) || '/' || coalesce(max(l.writes), 0) || '/' || count(*) FILTER (WHERE d.owner_id = '\(owner)')
            FROM apply_log l JOIN documents d USING (id)
            """)
        #expect(summary == "\(ids.count)/1/\(ids.count)", "rows/max writes per row/rows of the owner")
        let stored = try await scalar(url, "SELECT string_agg(id, ',' ORDER BY id) FROM documents")
        #expect(stored == ids.sorted().joined(separator: ","))
    }

    /// Queues `count` inserts on the device, one CRUD transaction each (as `count` app writes would); returns ids.
    static func queueInserts(_ stack: TestStack, device: String, count: Int) throws -> [String] {
        let database = try ClientDatabase(path: Device.devicePath(stack, device), schema: stack.config.schema)
        var ids: [String] = []
        for index in 0..<count {
            let id = String(format: "up-%04d", index)
            try database.write { db in
                try db.execute(
                    sql: "INSERT INTO documents (id, title) VALUES (?, ?)", arguments: [id, "upload \(index)"])
            }
            ids.append(id)
        }
        return ids
    }

    /// A stack on a new database of a dedicated cluster, and a follower that has synced user-a's 100 `before-N`
    /// documents (`url` is the database's, `token` user-a's).
    static func withFollowedStack(
        _ body: (TestPostgres, TestStack, DatabaseURL, String, inout ClientModel) async throws -> Void
    ) async throws {
        try await withCluster { cluster in
            let database = try await cluster.makeDatabase(prefix: "restart")
            try await withTestStack(yaml: streamYAML, database: database) { stack in
                let url = database.databaseURL
                let token = SyncStreamTests.token("user-a", stack: stack)
                try await execute(url, insertDocuments("before", count: 100, owner: "user-a"))
                var model = ClientModel()
                _ = try await follow(stack.endpoints.syncURL, token: token, model: &model) { rows($0).count == 100 }
                try await body(cluster, stack, url, token, &model)
            }
        }
    }

    /// A dedicated cluster (restarting or starving the shared one would break other tests), stopped afterwards.
    static func withCluster(
        _ settings: [String: String] = [:], _ body: (TestPostgres) async throws -> Void
    ) async throws {
        let cluster = try await blocking { try TestPostgres.start(settings: settings) }
        do {
            try await body(cluster)
        } catch {
            try? await blocking { try cluster.stop() }
            throw error
        }
        try await blocking { try cluster.stop() }
    }

    /// `pg_ctl stop -m <mode>` then start, on the same port. `fast` is what `pg_ctl restart` does: the walsender
    /// waits for the stack to confirm everything sent before the server stops, so the stack must give up its
    /// stream when its storage writes fail or cannot start (it once kept waiting on a killed connection, and later on
    /// the pool's reconnect, and the shutdown hung).
    static func restart(_ cluster: TestPostgres, mode: String = "fast", stopTimeout: Int = 60) async throws {
        try await blocking {
            let managed = cluster.managed
            let stopped = try ProcessRunner.run(
                managed.binaries.path("pg_ctl"),
                ["stop", "-D", managed.dataDir, "-m", mode, "-w", "-t", "\(stopTimeout)", "-s"], asUser: managed.runAs)
            guard stopped.status == 0 else {
                throw SyncTestError("pg_ctl stop -m \(mode) failed (exit \(stopped.status)): \(stopped.output)")
            }
            try managed.start(logger: testLogger)
        }
    }
}

/// Runs blocking work (initdb, pg_ctl) on a dispatch thread, leaving the cooperative pool to the stack under test.
func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}

/// Holds a SHARE lock on `documents` so that the next upload waits inside its Postgres transaction, after its
/// idempotency marker and before its writes: an upload in flight, deterministically.
struct UploadBlocker: Sendable {
    /// Client transactions committed when the upload was blocked.
    let applied: Int
    private let holder: Task<Void, Error>
    private let release: AsyncStream<Void>.Continuation

    /// Waits until `afterApplied` uploads committed, takes the lock, and returns once an upload waits for it.
    static func engage(_ url: DatabaseURL, afterApplied: Int) async throws -> UploadBlocker {
        let marker = "SELECT count(*)::text FROM stack_upload.applied_transactions"
        _ = try await eventually(timeout: .seconds(30)) {
            Int(try await scalar(url, marker) ?? "") ?? 0
        } until: {
            $0 >= afterApplied
        }
        let (locked, lockedContinuation) = AsyncStream.makeStream(of: Void.self)
        let (released, release) = AsyncStream.makeStream(of: Void.self)
        // One plain connection, not a pool: when the server goes away its queries fail at once.
        let configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: .disable)
        let holder = Task {
            defer { lockedContinuation.finish() }
            let connection = try await PostgresConnection.connect(
                configuration: configuration, id: 1, logger: testLogger)
            do {
                try await connection.query("BEGIN", logger: testLogger)
                try await connection.query("LOCK TABLE documents IN SHARE MODE", logger: testLogger)
                lockedContinuation.yield()
                for await _ in released { break }
                try await connection.query("COMMIT", logger: testLogger)
            } catch {
                try? await connection.close()
                throw error
            }
            try await connection.close()
        }
        for await _ in locked { break }
        _ = try await eventually(timeout: .seconds(30)) {
            try await scalar(
                url, "SELECT count(*)::text FROM pg_locks WHERE NOT granted AND relation = 'documents'::regclass")
        } until: {
            $0 != "0"
        }
        let applied = Int(try await scalar(url, marker) ?? "") ?? 0
        return UploadBlocker(applied: applied, holder: holder, release: release)
    }

    /// After a server restart: its connection died with the server (a query on it would never return), so the
    /// holder is cancelled, not awaited.
    func abandon() {
        release.finish()
        holder.cancel()
    }

    /// Releases the lock (commits) and waits for the holder.
    func finish() async {
        release.yield()
        release.finish()
        _ = await holder.result
    }
}

/// An ES256 key for a JWKS served over HTTP, and tokens signed with it.
struct ECSigner: Sendable {
    let kid: String
    let key = P256.Signing.PrivateKey()

    /// The public JWK.
    var jwk: String {
        let point = Array(key.publicKey.x963Representation)
        let x = TestTokens.base64URL(point[1..<33])
        let y = TestTokens.base64URL(point[33..<65])
        return #"{"kty":"EC","crv":"P-256","alg":"ES256","use":"sig","kid":"\#(kid)","x":"\#(x)","y":"\#(y)"}"#
    }

    static func jwks(_ signers: [ECSigner]) -> String {
        #"{"keys":["# + signers.map(\.jwk).joined(separator: ",") + "]}"
    }

    /// `TestTokens`' claims, signed with this key.
    func token(sub: String, audience: String) throws -> String {
        let unsigned = TestTokens.make(
            sub: sub, audience: audience, header: #"{"alg":"ES256","kid":"\#(kid)","typ":"JWT"}"#)
        let signingInput = unsigned.split(separator: ".").prefix(2).joined(separator: ".")
        let signature = try key.signature(for: Data(signingInput.utf8))
        return signingInput + "." + TestTokens.base64URL(signature.rawRepresentation)
    }
}
