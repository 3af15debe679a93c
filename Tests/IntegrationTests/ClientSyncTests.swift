import Foundation
import StackTesting
import Testing

/// Devices (`stack client`, the real binary, real SQLite files) syncing through a real stack: upload API,
/// replication and the sync endpoint.
@Suite("stack client sync end to end", .serialized)
struct ClientSyncTests {
    typealias CLI = ClientCLITests

    /// `insert` prints the new row id on its own line.
    static func insert(_ stack: TestStack, device: String, _ values: String...) async throws -> String {
        let result = try await CLI.run(
            ["client", "insert", "documents"] + values + ["--config", stack.config.file, "--device", device])
        #expect(result.status == 0, "\(result.err)")
        return try #require(
            result.out.split(separator: "\n").last.map { String($0).trimmingCharacters(in: .whitespaces) })
    }

    static func sync(_ stack: TestStack, device: String) async throws -> String {
        let result = try await CLI.client(stack, device: device, "sync", "--timeout", "120")
        #expect(result.status == 0, "sync on \(device): \(result.err) \(result.out)")
        return result.out
    }

    /// The device's documents by id (`ls --json`).
    static func documents(_ stack: TestStack, device: String) async throws -> [String: [String: Any]] {
        let result = try await CLI.client(stack, device: device, "ls", "documents", "--json", "--all")
        #expect(result.status == 0, "\(result.err)")
        let rows = try #require(try CLI.json(result.out) as? [[String: Any]])
        var byID: [String: [String: Any]] = [:]
        for row in rows { if let id = row["id"] as? String { byID[id] = row } }
        return byID
    }

    static func signIn(_ stack: TestStack, device: String, _ email: String) async throws {
        let result = try await CLI.client(
            stack, device: device, "sign-in", "--email", email, "--password", "correct-horse")
        #expect(result.status == 0, "\(result.err)")
    }

    @Test("user A then user B on one device: B sees none of A's rows; A's rows resync when A signs back in")
    func accountSwitchAndBack() async throws {
        typealias Device = ClientResilienceTests
        try await CLI.withStack { stack in
            let ann = try await Device.signUp(stack, device: "d", "ann@example.com")
            var annIDs: Set<String> = []
            for title in ["one", "two", "three"] { annIDs.insert(try await Self.insert(stack, device: "d", "title=\(title)")) }
            #expect(try await Self.sync(stack, device: "d").contains("caught up"))
            #expect(Set(try await Self.documents(stack, device: "d").keys) == annIDs)

            // B on the same device: nothing of A's, neither in the views nor in the sync tables.
            let bob = try await Device.signUp(stack, device: "d", "bob@example.com")
            #expect(try await Self.documents(stack, device: "d").isEmpty)
            #expect(try Device.count(stack, "d", "ps_oplog") == 0)
            #expect(try Device.count(stack, "d", "ps_data__documents") == 0)
            #expect(try await Device.buckets(stack, device: "d").isEmpty)
            let bobID = try await Self.insert(stack, device: "d", "title=bob's")
            #expect(try await Self.sync(stack, device: "d").contains("caught up"))
            #expect(Set(try await Self.documents(stack, device: "d").keys) == [bobID])
            var buckets = try await Device.buckets(stack, device: "d")
            #expect(buckets.keys.allSatisfy { $0.contains(bob) && !$0.contains(ann) }, "\(buckets.keys)")

            // A again: B's rows go, A's come back from the server, checksums match.
            try await Self.signIn(stack, device: "d", "ann@example.com")
            #expect(try await Self.documents(stack, device: "d").isEmpty)
            #expect(try await Self.sync(stack, device: "d").contains("caught up"))
            let documents = try await Self.documents(stack, device: "d")
            #expect(Set(documents.keys) == annIDs)
            #expect(documents.values.allSatisfy { $0["owner_id"] as? String == ann })
            buckets = try await Device.buckets(stack, device: "d")
            #expect(buckets.keys.allSatisfy { $0.contains(ann) && !$0.contains(bob) }, "\(buckets.keys)")
            #expect(buckets.values.allSatisfy { $0["ops"] as? Int == 3 && $0["checksum_failures"] as? Int == 0 })
            let status = try await CLI.status(stack, device: "d")
            #expect(status["last_checksum_mismatch"] is NSNull, "\(status)")
            #expect(status["pending_uploads"] as? Int == 0)
        }
    }

    @Test("two devices of one user converge after concurrent offline edits; another user sees none of it")
    func devicesConverge() async throws {
        try await CLI.withStack { stack in
            #expect(
                try await CLI.client(
                    stack, device: "a", "sign-up", "--email", "gus@example.com", "--password", "correct-horse"
                ).status == 0)
            try await Self.signIn(stack, device: "b", "gus@example.com")
            let id = try await Self.insert(stack, device: "a", "title=hello", "content=first")
            #expect(try await Self.sync(stack, device: "a").contains("caught up"))
            #expect(try await Self.sync(stack, device: "b").contains("caught up"))
            #expect(try await Self.documents(stack, device: "b")[id]?["title"] as? String == "hello")

            // Both offline, both edit the same row; a uploads first, b second: b's write commits last and wins.
            for device in ["a", "b"] { #expect(try await CLI.client(stack, device: device, "offline").status == 0) }
            #expect(try await CLI.client(stack, device: "a", "update", "documents", id, "title=from-a").status == 0)
            #expect(try await CLI.client(stack, device: "b", "update", "documents", id, "title=from-b").status == 0)
            #expect(try await Self.documents(stack, device: "a")[id]?["title"] as? String == "from-a")
            for device in ["a", "b"] {
                #expect(try await CLI.client(stack, device: device, "online").status == 0)
                _ = try await Self.sync(stack, device: device)
            }
            _ = try await Self.sync(stack, device: "a")
            for device in ["a", "b"] {
                #expect(
                    try await Self.documents(stack, device: device)[id]?["title"] as? String == "from-b", "\(device)")
            }
            let server = try await scalar(stack.database.databaseURL, "SELECT title FROM documents WHERE id = '\(id)'")
            #expect(server == "from-b")

            // Another user's device sees none of it.
            #expect(
                try await CLI.client(
                    stack, device: "c", "sign-up", "--email", "hal@example.com", "--password", "correct-horse"
                ).status == 0)
            _ = try await Self.sync(stack, device: "c")
            #expect(try await Self.documents(stack, device: "c").isEmpty)

            // A write on the server reaches the owner's devices only.
            try await execute(
                stack.database.databaseURL, "UPDATE documents SET title = 'from-server' WHERE id = '\(id)'")
            try await eventually {
                try await Self.sync(stack, device: "b")
            } until: { _ in
                true
            }
            try await eventually {
                _ = try await Self.sync(stack, device: "b")
                return try await Self.documents(stack, device: "b")[id]?["title"] as? String
            } until: {
                $0 == "from-server"
            }
            _ = try await Self.sync(stack, device: "c")
            #expect(try await Self.documents(stack, device: "c").isEmpty)

            // Soft delete: DELETE on a device sets deleted_at on the server, and the other device sees it.
            #expect(try await CLI.client(stack, device: "a", "delete", "documents", id).status == 0)
            _ = try await Self.sync(stack, device: "a")
            let deleted = try await scalar(
                stack.database.databaseURL, "SELECT (deleted_at IS NOT NULL)::text FROM documents WHERE id = '\(id)'")
            #expect(deleted == "true")
            try await eventually {
                _ = try await Self.sync(stack, device: "b")
                return try await Self.documents(stack, device: "b")[id]?["deleted_at"]
            } until: { value in
                !(value == nil || value is NSNull)
            }
            // `ls` leaves soft-deleted rows out (as the app does) and says so; --all shows them.
            let listed = try await CLI.client(stack, device: "b", "ls", "documents")
            #expect(!listed.out.contains(id), "\(listed.out)")
            #expect(listed.err.contains("soft-deleted row(s) not shown; --all shows them"), "\(listed.err)")
        }
    }
}
