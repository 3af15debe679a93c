import Foundation
import StackProtocol
import StackTesting
import Testing

/// What many or slow clients cost the sync service, read from its `GET /metrics` counters.
@Suite("sync: shared checksums and backpressure")
struct SyncSharingTests {
    static let yaml = SyncStreamTests.yaml.replacingOccurrences(of: "max_connections: 5", with: "max_connections: 50")

    static func metric(_ name: String, _ stack: TestStack) async throws -> Int {
        let response = try await HTTPTestClient.send("GET", stack.endpoints.syncURL + "/metrics")
        #expect(response.status == 200)
        let line = response.text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        guard let value = line.flatMap({ Int($0.split(separator: " ")[1]) }) else {
            throw SyncTestError("no \(name) in /metrics: \(response.text)")
        }
        return value
    }

    // Six streams: the test's HTTP client keeps at most eight connections per host, and /metrics needs one.
    @Test("6 clients of one user at one checkpoint cost one checksum query, not 6; /metrics counts them")
    func manyClientsShareChecksums() async throws {
        try await withTestStack(yaml: Self.yaml) { stack in
            try await execute(stack.database.databaseURL, "INSERT INTO documents VALUES ('d1', 'one', 'user-a')")
            try await waitForOps(stack, atLeast: 1)
            let token = SyncStreamTests.token("user-a", stack: stack)
            let before = try await Self.metric("stack_sync_checksum_queries_total", stack)
            var streams: [SyncStreamConnection] = []
            for _ in 0..<6 {
                streams.append(try await SyncStreamConnection.open(stack.endpoints.syncURL, token: token))
            }
            defer { streams.forEach { $0.close() } }
            var models = Array(repeating: ClientModel(), count: streams.count)
            for (index, stream) in streams.enumerated() {
                for line in try await stream.untilComplete() { models[index].apply(line.line) }
            }
            #expect(try await Self.metric("stack_sync_connections", stack) == 6)
            let opened = try await Self.metric("stack_sync_checksum_queries_total", stack)
            // At most one for the checkpoint everybody starts at (zero if an earlier request already computed it).
            #expect(opened - before <= 1, "opening 6 streams made \(opened - before) checksum queries")

            // One commit wakes all 6 at once: the new sums are computed once and shared.
            try await execute(stack.database.databaseURL, "INSERT INTO documents VALUES ('d2', 'two', 'user-a')")
            for (index, stream) in streams.enumerated() {
                for line in try await stream.untilComplete() { models[index].apply(line.line) }
                #expect(models[index].mismatches.isEmpty)
                #expect(Set(models[index].rows("1#user_docs[\"user-a\"]").keys) == ["d1", "d2"])
            }
            let after = try await Self.metric("stack_sync_checksum_queries_total", stack)
            #expect(after - opened == 1, "one commit to 6 clients made \(after - opened) checksum queries")
        }
    }

    @Test("a checkpoint that moves only the LSN needs no checksum lookup: write checkpoints resolve as bare diffs")
    func lsnOnlyCheckpointsSkipTheChecksums() async throws {
        try await withTestStack(yaml: Self.yaml) { stack in
            try await execute(stack.database.databaseURL, "INSERT INTO documents VALUES ('d1', 'one', 'user-a')")
            try await waitForOps(stack, atLeast: 1)
            let stream = try await SyncStreamConnection.open(
                stack.endpoints.syncURL, token: SyncStreamTests.token("user-a", stack: stack))
            defer { stream.close() }
            var model = ClientModel()
            for line in try await stream.untilComplete() { model.apply(line.line) }
            let lookups = try await Self.metric("stack_sync_checksum_lookups_total", stack)
            #expect(lookups >= 1)

            for round in 1...3 {
                let written = try await requestWriteCheckpoint(stack, user: "user-a", clientID: "client-1")
                let lines = try await stream.read(until: { line in
                    if case .checkpointDiff(let diff) = line { diff.writeCheckpoint?.value == written } else { false }
                })
                guard case .checkpointDiff(let diff) = lines.last?.line else { continue }
                #expect(diff.updatedBuckets.isEmpty && diff.removedBuckets.isEmpty, "round \(round): \(diff)")
                for line in try await stream.untilComplete() { model.apply(line.line) }
            }
            #expect(try await Self.metric("stack_sync_checksum_lookups_total", stack) == lookups)

            // A new op id is looked up again, once.
            try await execute(stack.database.databaseURL, "INSERT INTO documents VALUES ('d2', 'two', 'user-a')")
            for line in try await stream.untilComplete() { model.apply(line.line) }
            #expect(Set(model.rows("1#user_docs[\"user-a\"]").keys) == ["d1", "d2"])
            #expect(model.mismatches.isEmpty)
            #expect(try await Self.metric("stack_sync_checksum_lookups_total", stack) == lookups + 1)
        }
    }

    @Test("a client that stops reading gets backpressure: the server stops sending, then resumes, nothing lost")
    func slowClientGetsBackpressure() async throws {
        try await withTestStack(yaml: Self.yaml) { stack in
            let rows = 25_000
            try await execute(
                stack.database.databaseURL,
                """
                INSERT INTO documents SELECT 'r' || g, repeat(md5(g::text), 32), 'user-a'
                FROM generate_series(1, \(rows)) g
                """)
            try await waitForOps(stack, atLeast: rows, timeout: .seconds(180))
            let stream = try await SyncStreamConnection.open(
                stack.endpoints.syncURL, token: SyncStreamTests.token("user-a", stack: stack))
            defer { stream.close() }
            stream.setPaused(true)
            // ~27 MB of data lines; the socket buffers and the HTTP client's own buffer hold a few MB at most.
            var stalled = try await Self.metric("stack_sync_bytes_sent_total", stack)
            for _ in 0..<100 {
                try await Task.sleep(for: .milliseconds(500))
                let now = try await Self.metric("stack_sync_bytes_sent_total", stack)
                if now == stalled && now > 0 { break }
                stalled = now
            }
            try await Task.sleep(for: .seconds(1))
            let later = try await Self.metric("stack_sync_bytes_sent_total", stack)
            #expect(later == stalled, "the server kept sending to a client that does not read (\(stalled) → \(later))")
            #expect(stalled < 14_000_000, "\(stalled) bytes were sent before the server waited")

            stream.setPaused(false)
            var model = ClientModel()
            for line in try await stream.untilComplete(timeout: .seconds(120)) { model.apply(line.line) }
            #expect(model.rows("1#user_docs[\"user-a\"]").count == rows)
            #expect(model.duplicates.isEmpty)
            #expect(model.mismatches.isEmpty)
            #expect(try await Self.metric("stack_sync_bytes_sent_total", stack) > 26_000_000)
        }
    }
}
