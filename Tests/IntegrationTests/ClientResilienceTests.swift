import Foundation
import GRDB
import StackTesting
import Testing

/// Devices (the real `stack` binary, real SQLite files) recovering from rejected uploads, a kill mid-download and a
/// corrupted local checksum.
@Suite("stack client resilience", .serialized)
struct ClientResilienceTests {
    typealias CLI = ClientCLITests

    /// The sample config with two buckets per user: unpinned and pinned documents.
    static let twoBucketYAML = CLI.yaml.replacingOccurrences(
        of: """
                user_data:
                  parameters: SELECT request.user_id() as user_id
                  data:
                    - SELECT * FROM documents WHERE owner_id = bucket.user_id
            """,
        with: """
                user_data:
                  parameters: SELECT request.user_id() as user_id
                  data:
                    - SELECT * FROM documents WHERE owner_id = bucket.user_id AND pinned = false
                user_pinned:
                  parameters: SELECT request.user_id() as user_id
                  data:
                    - SELECT * FROM documents WHERE owner_id = bucket.user_id AND pinned = true
            """)

    /// The device's SQLite file.
    static func devicePath(_ stack: TestStack, _ device: String) -> String {
        stack.config.stateDir + "/devices/\(device).db"
    }

    /// Reads the device file from the test (read-only, while a device process may be writing).
    static func readDevice<T>(_ stack: TestStack, _ device: String, _ body: (Database) throws -> T) throws -> T {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        return try DatabaseQueue(path: devicePath(stack, device), configuration: configuration).read(body)
    }

    /// Signs up `email` on `device` and returns the user id.
    static func signUp(_ stack: TestStack, device: String, _ email: String) async throws -> String {
        let result = try await CLI.client(stack, device: device, "sign-up", "--email", email, "--password", "correct-horse")
        #expect(result.status == 0, "\(result.err)")
        let user = try #require(try await CLI.status(stack, device: device)["user"] as? [String: Any])
        return try #require(user["id"] as? String)
    }

    /// `count(*)` of a device table.
    static func count(_ stack: TestStack, _ device: String, _ table: String) throws -> Int {
        try readDevice(stack, device) { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
    }

    /// The device's buckets from `status --json`, by name.
    static func buckets(_ stack: TestStack, device: String) async throws -> [String: [String: Any]] {
        let list = try #require(try await CLI.status(stack, device: device)["buckets"] as? [[String: Any]])
        return Dictionary(list.map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { first, _ in first })
    }

    @Test("a rejected upload reverts locally: a bad PATCH goes back to the server's row, a PUT over another user's row disappears")
    func rejectedUploadReverts() async throws {
        try await CLI.withStack { stack in
            _ = try await Self.signUp(stack, device: "a", "ann@example.com")
            let id = try await ClientSyncTests.insert(stack, device: "a", "title=original", "content=kept")
            #expect(try await ClientSyncTests.sync(stack, device: "a").contains("caught up"))

            // A timestamp the upload API cannot convert: the whole transaction is rejected (INVALID_VALUE).
            let update = try await CLI.client(
                stack, device: "a", "update", "documents", id, "title=changed", "created_at=not a timestamp")
            #expect(update.status == 0, "\(update.err)")
            #expect(try await ClientSyncTests.documents(stack, device: "a")[id]?["title"] as? String == "changed")
            let synced = try await ClientSyncTests.sync(stack, device: "a")
            #expect(synced.contains("1 rejected"), "\(synced)")
            let row = try #require(try await ClientSyncTests.documents(stack, device: "a")[id])
            #expect(row["title"] as? String == "original", "the rejected edit must revert to the server's row")
            #expect((row["created_at"] as? String)?.contains("not a timestamp") == false)
            var status = try await CLI.status(stack, device: "a")
            #expect(status["pending_uploads"] as? Int == 0)
            #expect(status["rejected_uploads"] as? Int == 1)
            let rejection = try #require((status["rejections"] as? [[String: Any]])?.first)
            #expect(rejection["code"] as? String == "INVALID_VALUE", "\(rejection)")
            #expect((rejection["crud"] as? String)?.contains("PATCH documents \(id)") == true, "\(rejection)")
            let server = try await scalar(stack.database.databaseURL, "SELECT title FROM documents WHERE id = '\(id)'")
            #expect(server == "original")

            // Another user inserts a row with Ann's id: NOT_OWNER; the row disappears from that device.
            _ = try await Self.signUp(stack, device: "b", "bob@example.com")
            let hijack = try await ClientSyncTests.insert(stack, device: "b", "id=\(id)", "title=hijack")
            #expect(hijack == id)
            #expect(try await ClientSyncTests.documents(stack, device: "b")[id] != nil)
            _ = try await ClientSyncTests.sync(stack, device: "b")
            #expect(try await ClientSyncTests.documents(stack, device: "b")[id] == nil)
            status = try await CLI.status(stack, device: "b")
            let refused = try #require((status["rejections"] as? [[String: Any]])?.first)
            #expect(refused["code"] as? String == "NOT_OWNER", "\(refused)")
            #expect(
                try await scalar(stack.database.databaseURL, "SELECT title FROM documents WHERE id = '\(id)'")
                    == "original")
        }
    }

    @Test("a client killed mid-download resumes from its bucket position: the second run downloads only the rest")
    func killedMidSyncResumes() async throws {
        try await CLI.withStack { stack in
            let user = try await Self.signUp(stack, device: "a", "cat@example.com")
            let total = 20_000
            try await execute(
                stack.database.databaseURL,
                """
                INSERT INTO documents (id, title, content, owner_id, created_at)
                  SELECT 'doc-' || lpad(g::text, 6, '0'), 'document ' || g, repeat('x', 300), '\(user)', now()
                  FROM generate_series(1, \(total)) AS g
                """)
            try await waitForOps(stack, atLeast: total)

            let child = try StackChild(
                ["client", "sync", "--timeout", "120", "--config", stack.config.file, "--device", "a"])
            // Kill as soon as a first chunk is stored (each data line is one SQLite transaction).
            var stored = 0
            let deadline = ContinuousClock.now + .seconds(60)
            while stored == 0, child.isRunning, ContinuousClock.now < deadline {
                stored = (try? Self.count(stack, "a", "ps_oplog")) ?? 0
                if stored == 0 { try await Task.sleep(for: .milliseconds(2)) }
            }
            child.kill(SIGKILL)
            _ = await child.wait()
            let afterKill = try Self.count(stack, "a", "ps_oplog")
            try #require(afterKill > 0 && afterKill < total, "the kill must land mid-download (stored \(afterKill))")
            #expect(try Self.count(stack, "a", "ps_data__documents") == 0, "nothing applied before the checkpoint")
            let position = try Self.readDevice(stack, "a") { db in
                try Int64.fetchOne(db, sql: "SELECT max(last_op) FROM ps_buckets") ?? 0
            }
            #expect(position > 0)
            #expect(try await CLI.status(stack, device: "a")["ops_downloaded_total"] as? Int == afterKill)

            #expect(try await ClientSyncTests.sync(stack, device: "a").contains("caught up"))
            let status = try await CLI.status(stack, device: "a")
            // Every op arrived exactly once over both runs: the second run asked for ops after its position.
            #expect(status["ops_downloaded_total"] as? Int == total, "\(status)")
            #expect(status["last_checksum_mismatch"] is NSNull)
            #expect(try Self.count(stack, "a", "ps_data__documents") == total)
            #expect(try Self.count(stack, "a", "ps_oplog") == total)
            let bucket = try #require((status["buckets"] as? [[String: Any]])?.first)
            #expect(bucket["ops"] as? Int == total && bucket["checksum_failures"] as? Int == 0)
            let sample = try #require(try await ClientSyncTests.documents(stack, device: "a")["doc-012345"])
            #expect(sample["title"] as? String == "document 12345")
        }
    }

    @Test("a corrupted local checksum re-downloads that bucket only, and status names it")
    func corruptedChecksumRedownloadsOneBucket() async throws {
        try await CLI.withStack(yaml: Self.twoBucketYAML) { stack in
        let user = try await Self.signUp(stack, device: "a", "dot@example.com")
        try await execute(
            stack.database.databaseURL,
            """
            INSERT INTO documents (id, title, owner_id, pinned, created_at)
              SELECT 'doc-' || g, 'document ' || g, '\(user)', g % 3 = 0, now() FROM generate_series(1, 90) AS g
            """)
        try await waitForOps(stack, atLeast: 90)
        #expect(try await ClientSyncTests.sync(stack, device: "a").contains("caught up"))
        var buckets = try await Self.buckets(stack, device: "a")
        // Bucket names carry the sync-rules version: `1#user_pinned["<user>"]`.
        let pinned = try #require(buckets.keys.first { $0.hasSuffix("user_pinned[\"\(user)\"]") }, "\(buckets.keys)")
        let plain = try #require(buckets.keys.first { $0.hasSuffix("user_data[\"\(user)\"]") }, "\(buckets.keys)")
        #expect(buckets.count == 2, "\(buckets.keys)")
        #expect(buckets[pinned]?["ops"] as? Int == 30 && buckets[plain]?["ops"] as? Int == 60)
        #expect(buckets[pinned]?["ops_downloaded"] as? Int == 30 && buckets[plain]?["ops_downloaded"] as? Int == 60)

        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        try await DatabaseQueue(path: Self.devicePath(stack, "a"), configuration: configuration).write { db in
            try db.execute(sql: "UPDATE ps_buckets SET add_checksum = add_checksum + 12345 WHERE name = ?", arguments: [pinned])
        }

        let result = try await CLI.client(stack, device: "a", "sync", "--timeout", "30")
        #expect(result.status == 0, "\(result.err)")
        #expect(result.err.contains("checksum mismatch in bucket(s) \(pinned)"), "\(result.err)")
        buckets = try await Self.buckets(stack, device: "a")
        #expect(buckets[pinned]?["ops_downloaded"] as? Int == 60, "the corrupted bucket came again: \(buckets)")
        #expect(buckets[plain]?["ops_downloaded"] as? Int == 60, "the other bucket was not downloaded again")
        #expect(buckets[pinned]?["checksum_failures"] as? Int == 1 && buckets[plain]?["checksum_failures"] as? Int == 0)
        let status = try await CLI.status(stack, device: "a")
        let mismatch = try #require(status["last_checksum_mismatch"] as? [String: Any])
        #expect(mismatch["buckets"] as? [String] == [pinned])
        let documents = try await ClientSyncTests.documents(stack, device: "a")
        #expect(documents.count == 90)
        #expect(documents["doc-3"]?["pinned"] as? Int == 1 && documents["doc-4"]?["pinned"] as? Int == 0)
        let text = try await CLI.client(stack, device: "a", "status")
        #expect(text.out.contains("mismatch in \(pinned)"), "\(text.out)")

        // The next sync validates cleanly and downloads nothing.
        #expect(try await ClientSyncTests.sync(stack, device: "a").contains("caught up"))
        #expect(try await CLI.status(stack, device: "a")["ops_downloaded_total"] as? Int == 120)
        }
    }
}
