import Foundation
import StackBuckets
import StackPGOutput
import StackTesting
import Testing

/// The stream runs while the snapshot copies: writes made during it land once and right, and the slot keeps only a
/// little WAL however long the snapshot takes.
@Suite("snapshot alongside streaming")
struct ConcurrentSnapshotTests {
    @Test("rows written while their table is being copied end as the table says, TOASTed values included")
    func writesDuringTheSnapshotConverge() async throws {
        let harness = try await ReplicationHarness(prefix: "snapconc")
        // The last 40 rows carry content large enough to be TOASTed out of line (hex text barely compresses).
        try await harness.execute(
            """
            INSERT INTO documents (id, owner_id, title, content)
            SELECT 'doc-' || lpad(g::text, 5, '0'), CASE WHEN g % 2 = 0 THEN 'user-a' ELSE 'user-b' END, 'title ' || g,
              CASE WHEN g > 5960 THEN (SELECT string_agg(md5(g::text || ':' || i), '') FROM generate_series(1, 300) i)
              END
            FROM generate_series(1, 6000) g
            """)
        harness.start(snapshotChunkRows: 100)
        let copying = try await eventually(timeout: .seconds(60)) {
            try await harness.value(
                "SELECT snapshot_replicated_count::text FROM powersync.source_tables WHERE NOT snapshot_done")
        } until: {
            (Int($0 ?? "") ?? 0) > 0
        }
        try #require((Int(copying ?? "") ?? 0) > 0, "the snapshot did not start")

        // Updates that leave the TOASTed content alone, on rows the snapshot has not reached yet: the stream has no
        // stored copy to fill the content from.
        try await harness.execute("UPDATE documents SET title = 'retitled' WHERE id > 'doc-05960'")
        let doneAfterUpdate = try await harness.value(
            "SELECT bool_and(snapshot_done)::text FROM powersync.source_tables")
        #expect(doneAfterUpdate == "false", "the snapshot finished before the updates; the test did not race it")

        // Changes of every kind spread over the table while the copy runs.
        var round = 0
        var streamedDuringSnapshot = false
        while try await harness.value("SELECT snapshot_done::text FROM powersync.replication_streams") == "false" {
            round += 1
            let a = String(format: "doc-%05d", (round * 37) % 5900 + 1)
            let b = String(format: "doc-%05d", (round * 53 + 11) % 5900 + 1)
            let c = String(format: "doc-%05d", (round * 71 + 5) % 5900 + 1)
            try await harness.execute(
                "UPDATE documents SET owner_id = 'user-c', title = 'moved \(round)' WHERE id = '\(a)'")
            try await harness.execute("DELETE FROM documents WHERE id = '\(b)'")
            try await harness.execute("UPDATE documents SET id = id || '-renamed' WHERE id = '\(c)'")
            try await harness.execute(
                "INSERT INTO documents (id, owner_id, title) VALUES ('new-\(round)', 'user-a', 'new')")
            if try await harness.value("SELECT (persisted_lsn IS NOT NULL)::text FROM powersync.replication_streams")
                == "true"
            {
                streamedDuringSnapshot = true
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(round > 0, "no change was made while the snapshot ran")
        #expect(streamedDuringSnapshot, "the stream committed nothing while the snapshot ran")

        let checkpoint = try await harness.waitForCatchUp()
        let actual = try await harness.bucketContents(checkpoint)
        let expected = try await harness.expectedDocuments(streamID: checkpoint.streamID)
        #expect(actual.keys.sorted() == expected.keys.sorted())
        for (bucket, rows) in expected {
            let differing = rows.filter { actual[bucket]?[$0.key] != $0.value }.map(\.key).sorted()
            #expect(differing.isEmpty, "\(bucket): \(differing.count) rows differ, e.g. \(differing.prefix(5))")
            let extra = Set(actual[bucket]?.keys.map { $0 } ?? []).subtracting(rows.keys).sorted()
            #expect(extra.isEmpty, "\(bucket): rows the table does not have: \(extra.prefix(5))")
        }
        let retitled = actual.values.flatMap(\.values).filter { $0.contains("\"retitled\"") }
        #expect(retitled.count == 40)
        #expect(retitled.allSatisfy { $0.contains("\"content\":\"") }, "a TOASTed value was left out")
        #expect(try await harness.checksumMismatches(stream: checkpoint.streamID) == 0)
        try await harness.stop()
    }

    @Test("a snapshot stopped halfway after the stream committed resumes against the stored rows and converges")
    func interruptedSnapshotResumes() async throws {
        let harness = try await ReplicationHarness(prefix: "snapresume")
        try await harness.execute(
            """
            INSERT INTO documents (id, owner_id, title)
            SELECT 'doc-' || lpad(g::text, 5, '0'), 'user-' || (g % 3), 'title ' || g FROM generate_series(1, 8000) g
            """)
        harness.start(snapshotChunkRows: 100)
        // Generous waits: in a full test run on two cores these states took up to two minutes to reach.
        let copied = try await eventually(timeout: .seconds(180)) {
            try await harness.value(
                "SELECT snapshot_replicated_count::text FROM powersync.source_tables WHERE NOT snapshot_done")
        } until: {
            (Int($0 ?? "") ?? 0) >= 1_000
        }
        try #require((Int(copied ?? "") ?? 0) >= 1_000, "the snapshot did not get going")
        // Rows ahead of the copy, written by the stream before the stop.
        try await harness.execute("UPDATE documents SET title = 'early' WHERE id IN ('doc-07001', 'doc-07002')")
        let streamed = try await eventually(timeout: .seconds(180)) {
            try await harness.value(
                """
                SELECT count(*)::text FROM powersync.current_data
                WHERE source_key IN ('["doc-07001"]', '["doc-07002"]')
                """)
        } until: {
            $0 == "2"
        }
        try await harness.stop()
        let progress = try await harness.value("SELECT snapshot_done::text FROM powersync.source_tables")
        try #require(progress == "false", "the snapshot finished before it was stopped")
        #expect(streamed == "2", "the stream did not write rows ahead of the copy")

        // While stopped: changes on both sides of the copy position, then the rest of the copy and the stream.
        try await harness.execute(
            "UPDATE documents SET owner_id = 'user-9' WHERE id IN ('doc-00010', 'doc-07001', 'doc-07500')")
        try await harness.execute("DELETE FROM documents WHERE id IN ('doc-00020', 'doc-07002', 'doc-07600')")
        try await harness.execute("INSERT INTO documents (id, owner_id, title) VALUES ('doc-99999', 'user-1', 'late')")
        harness.start(snapshotChunkRows: 100)
        let checkpoint = try await harness.waitForCatchUp(timeout: .seconds(120))
        #expect(
            try await harness.bucketContents(checkpoint)
                == (try await harness.expectedDocuments(streamID: checkpoint.streamID)))
        #expect(try await harness.checksumMismatches(stream: checkpoint.streamID) == 0)
        // Every stored row is there once (a second copy of a row the stream had written would break this).
        #expect(
            try await harness.value("SELECT count(*)::text FROM powersync.current_data")
                == harness.value("SELECT count(*)::text FROM documents"))
        try await harness.stop()
    }

    @Test("a snapshot whose bucket writes exceed max_slot_wal_keep_size keeps its slot")
    func longSnapshotKeepsItsSlot() async throws {
        try await FaultRecoveryTests.withCluster([
            "max_slot_wal_keep_size": "32MB", "max_wal_size": "32MB", "min_wal_size": "32MB",
        ]) { cluster in
            let harness = try await ReplicationHarness(prefix: "snapwal", cluster: cluster)
            try await harness.execute(
                """
                INSERT INTO documents (id, owner_id, title)
                SELECT 'doc-' || g, 'user-' || (g % 50), repeat('t', 600) || g FROM generate_series(1, 70000) g
                """)
            let before = LSN(try await harness.value("SELECT pg_current_wal_lsn()::text") ?? "") ?? .zero
            harness.start(snapshotChunkRows: 2_000)
            let checkpoint = try await harness.waitForCatchUp(timeout: .seconds(300))
            let after = LSN(try await harness.value("SELECT pg_current_wal_lsn()::text") ?? "") ?? .zero
            // Without the stream confirming along the way, the slot would have had to keep all of this.
            #expect(after.rawValue - before.rawValue > 64 << 20, "the snapshot wrote too little WAL to test anything")
            #expect(try await harness.value("SELECT count(*)::text FROM powersync.replication_streams") == "1")
            #expect(try await harness.value("SELECT string_agg(wal_status, ',') FROM pg_replication_slots") != "lost")
            let actual = try await harness.bucketContents(checkpoint)
            #expect(actual == (try await harness.expectedDocuments(streamID: checkpoint.streamID)))
            #expect(try await harness.opCount(stream: checkpoint.streamID) == 70000)
            try await harness.stop()
        }
    }
}
