import Foundation
import StackBuckets
import StackPGOutput
import Testing

@Suite("replication into bucket storage")
struct ReplicationTests {
    private func verify(
        _ harness: ReplicationHarness, _ checkpoint: Checkpoint, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let actual = try await harness.bucketContents(checkpoint)
        let expected = try await harness.expectedDocuments(streamID: checkpoint.streamID)
        #expect(actual == expected, sourceLocation: sourceLocation)
        #expect(try await harness.checksumMismatches(stream: checkpoint.streamID) == 0, sourceLocation: sourceLocation)
        // The storage's checksums are the wrapping sums of the stored op checksums.
        let buckets = Array(expected.keys)
        let sums = try await harness.storage.checksums(
            stream: checkpoint.streamID, buckets: buckets, upTo: checkpoint.opID)
        for bucket in buckets {
            let ops = try await harness.storage.ops(
                stream: checkpoint.streamID, positions: [bucket: 0], upTo: checkpoint.opID, limit: 100_000)
            let sum = ops.first?.ops.reduce(UInt32(0)) { $0 &+ $1.checksum } ?? 0
            #expect(sums[bucket]?.checksum == sum, sourceLocation: sourceLocation)
            #expect(sums[bucket]?.count == ops.first?.ops.count, sourceLocation: sourceLocation)
        }
    }

    @Test func snapshotThenStreamingLandsInTheRightBuckets() async throws {
        let harness = try await ReplicationHarness()
        try await harness.execute(
            "INSERT INTO documents (id, owner_id, title) SELECT 'd' || g, 'u' || (g % 3), 'doc ' || g FROM generate_series(1, 25000) g"
        )
        harness.start()
        let first = try await harness.waitForCatchUp()
        try await verify(harness, first)
        #expect(try await harness.opCount(stream: first.streamID) == 25000)
        try await harness.execute("INSERT INTO documents (id, owner_id, title) VALUES ('n1', 'u1', 'new')")
        try await harness.execute("UPDATE documents SET title = 'changed' WHERE id = 'd3'")
        try await harness.execute("DELETE FROM documents WHERE id = 'd4'")
        let second = try await harness.waitForCatchUp()
        #expect(second.opID > first.opID)
        try await verify(harness, second)
        // One PUT per insert/update, one REMOVE per delete: nothing duplicated.
        #expect(try await harness.opCount(stream: first.streamID) == 25003)
        let ops = try await harness.storage.ops(
            stream: first.streamID, positions: [#"\#(first.streamID)#user_data["u1"]"#: first.opID], upTo: second.opID)
        #expect(ops.first?.ops.map(\.op) == [.put, .remove])
        #expect(ops.first?.ops.first?.subkey?.hasPrefix("public.documents/") == true)
        try await harness.stop()
    }

    @Test func aTransactionLongerThanAChunkIsWrittenChunkByChunkAndConverges() async throws {
        let harness = try await ReplicationHarness()
        harness.start()
        try await harness.waitForCatchUp()
        // One source transaction of 12,300 changes (3 chunks): rows inserted in the first chunk are moved to another
        // owner and deleted in the last one, so later chunks replace rows written earlier in the same transaction.
        try await harness.execute(
            """
            DO $$ BEGIN
              INSERT INTO documents (id, owner_id, title)
                SELECT 'd' || g, 'u' || (g % 3), 'doc ' || g FROM generate_series(1, 12000) g;
              UPDATE documents SET owner_id = 'u9' WHERE id IN (SELECT 'd' || g FROM generate_series(1, 100) g);
              DELETE FROM documents WHERE id IN (SELECT 'd' || g FROM generate_series(201, 300) g);
            END $$
            """)
        let checkpoint = try await harness.waitForCatchUp()
        try await verify(harness, checkpoint)
        // 12,000 PUTs, a PUT and a REMOVE per moved row, a REMOVE per deleted row: nothing twice.
        #expect(try await harness.opCount(stream: checkpoint.streamID) == 12_300)
        #expect(
            try await harness.value("SELECT count(*)::text FROM powersync.current_data")
                == harness.value("SELECT count(*)::text FROM documents"))
        try await harness.stop()
    }

    /// Slot names are unique per cluster, not per database: once two test databases drew the same name for their
    /// stream 1, and the second stack found "its" slot, never created one, and retried START_REPLICATION forever.
    @Test func aSlotNameAnotherDatabaseHoldsIsReplacedAndThatSlotLeftAlone() async throws {
        let other = try await ReplicationHarness(prefix: "slotother")
        let harness = try await ReplicationHarness()
        harness.start()
        try await harness.execute("INSERT INTO documents (id, owner_id, title) VALUES ('a', 'u1', 'A')")
        let first = try await harness.waitForCatchUp()
        try await harness.stop()
        // What a collision at creation looks like: the stream has not snapshotted and its slot name is another
        // database's slot.
        let taken = "stack_\(first.streamID)_taken_\(UInt32.random(in: 0...UInt32.max))"
        try await other.execute("SELECT pg_create_logical_replication_slot('\(taken)', 'pgoutput')")
        try await harness.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database()")
        try await harness.execute(
            "UPDATE powersync.replication_streams SET slot_name = '\(taken)', snapshot_done = false WHERE id = \(first.streamID)"
        )
        // Before its snapshot means its tables are not copied yet either (rows already stored are replaced).
        try await harness.execute(
            """
            UPDATE powersync.source_tables SET snapshot_done = false, snapshot_last_key = NULL,
              snapshot_replicated_count = 0 WHERE group_id = \(first.streamID)
            """)
        harness.start()
        let ownSlot = "SELECT count(*)::text FROM pg_replication_slots WHERE database = current_database()"
        _ = try await eventually(timeout: .seconds(120)) {
            try await harness.value(ownSlot)
        } until: {
            $0 == "1"
        }
        try await harness.execute("INSERT INTO documents (id, owner_id, title) VALUES ('b', 'u1', 'B')")
        let second = try await harness.waitForCatchUp()
        try await verify(harness, second)
        let renamed = try #require(
            try await harness.value(
                "SELECT slot_name FROM powersync.replication_streams WHERE id = \(first.streamID)"))
        #expect(renamed != taken && renamed.hasPrefix("stack_\(first.streamID)_"), "\(renamed)")
        #expect(
            try await other.value("SELECT count(*)::text FROM pg_replication_slots WHERE slot_name = '\(taken)'")
                == "1", "the other database's slot is still there")
        try await harness.stop()
        try await other.execute("SELECT pg_drop_replication_slot('\(taken)')")
    }

    @Test func ownerChangeAndIdChangeRemoveFromTheOldBucket() async throws {
        let harness = try await ReplicationHarness()
        harness.start()
        try await harness.execute(
            "INSERT INTO documents (id, owner_id, title) VALUES ('a', 'u1', 'x'), ('b', 'u1', 'y')")
        let start = try await harness.waitForCatchUp()
        try await harness.execute("UPDATE documents SET owner_id = 'u2' WHERE id = 'a'")
        try await harness.execute("UPDATE documents SET id = 'b2' WHERE id = 'b'")
        let checkpoint = try await harness.waitForCatchUp()
        try await verify(harness, checkpoint)
        let u1 = "\(start.streamID)#user_data[\"u1\"]"
        let ops = try await harness.storage.ops(
            stream: start.streamID, positions: [u1: start.opID], upTo: checkpoint.opID)
        #expect(ops.first?.ops.map(\.op) == [.remove, .remove, .put])
        #expect(ops.first?.ops.map(\.objectID) == ["a", "b", "b2"])
        try await harness.stop()
    }

    @Test func largeToastedTextSurvivesUpdatesThatDoNotTouchIt() async throws {
        let harness = try await ReplicationHarness()
        harness.start()
        // ~200 kB of incompressible text is stored out of line (TOAST).
        try await harness.execute(
            "INSERT INTO documents (id, owner_id, title, content) SELECT 'big', 'u1', 't', string_agg(md5(g::text), '') FROM generate_series(1, 6000) g"
        )
        _ = try await harness.waitForCatchUp()
        try await harness.execute("UPDATE documents SET title = 'renamed' WHERE id = 'big'")
        let checkpoint = try await harness.waitForCatchUp()
        try await verify(harness, checkpoint)
        let contents = try await harness.bucketContents(checkpoint)
        let data = contents["\(checkpoint.streamID)#user_data[\"u1\"]"]?["big"] ?? ""
        #expect(data.contains("\"title\":\"renamed\""))
        #expect(data.utf8.count > 190_000)
        try await harness.stop()
    }

    @Test func truncateRemovesEveryRow() async throws {
        let harness = try await ReplicationHarness()
        try await harness.execute(
            "INSERT INTO documents (id, owner_id) SELECT 'd' || g, 'u' || (g % 4) FROM generate_series(1, 100) g")
        harness.start()
        _ = try await harness.waitForCatchUp()
        try await harness.execute("TRUNCATE documents")
        let checkpoint = try await harness.waitForCatchUp()
        try await verify(harness, checkpoint)
        #expect(try await harness.bucketContents(checkpoint).isEmpty)
        #expect(try await harness.opCount(stream: checkpoint.streamID, op: "REMOVE") == 100)
        try await harness.stop()
    }

    @Test func restartResumesFromTheSlotWithoutDuplicates() async throws {
        let harness = try await ReplicationHarness()
        harness.start()
        try await harness.execute(
            "INSERT INTO documents (id, owner_id) SELECT 'd' || g, 'u1' FROM generate_series(1, 50) g")
        let first = try await harness.waitForCatchUp()
        try await harness.stop()
        // Written while replication is down: the slot keeps it.
        for index in 1...20 {
            try await harness.execute("UPDATE documents SET title = 'v\(index)' WHERE id = 'd\(index)'")
        }
        harness.start()
        let second = try await harness.waitForCatchUp()
        #expect(second.streamID == first.streamID)
        try await verify(harness, second)
        #expect(try await harness.opCount(stream: second.streamID) == 70)
        try await harness.stop()
    }

    @Test func crashBetweenBucketCommitAndConfirmDoesNotDuplicateOps() async throws {
        let harness = try await ReplicationHarness()
        harness.start()
        try await harness.execute("INSERT INTO documents (id, owner_id) VALUES ('a', 'u1')")
        let first = try await harness.waitForCatchUp()
        try await harness.stop()
        let slot = try await harness.value(
            "SELECT slot_name FROM \(harness.config.sync.storageSchema).replication_streams WHERE id = \(first.streamID)"
        )!
        // Keep a copy of the slot at this position: restoring it later is a crash right after the bucket commit
        // and before the confirm (the slot replays transactions storage already has).
        try await harness.execute("SELECT pg_copy_logical_replication_slot('\(slot)', '\(slot)_copy')")
        harness.start()
        for index in 1...10 {
            try await harness.execute("INSERT INTO documents (id, owner_id) VALUES ('n\(index)', 'u\(index % 2)')")
        }
        try await harness.execute("UPDATE documents SET owner_id = 'u2' WHERE id = 'a'")
        _ = try await harness.waitForCatchUp()
        try await harness.stop()
        let confirmedBefore = try await harness.value(
            "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '\(slot)_copy'")
        try await harness.execute("SELECT pg_drop_replication_slot('\(slot)')")
        try await harness.execute("SELECT pg_copy_logical_replication_slot('\(slot)_copy', '\(slot)')")
        try await harness.execute("SELECT pg_drop_replication_slot('\(slot)_copy')")
        #expect(
            try await harness.value(
                "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '\(slot)'")
                == confirmedBefore)
        harness.start()
        try await harness.execute("INSERT INTO documents (id, owner_id) VALUES ('after', 'u1')")
        let checkpoint = try await harness.waitForCatchUp()
        #expect(checkpoint.streamID == first.streamID)
        try await verify(harness, checkpoint)
        // 1 + 10 inserts + (PUT + REMOVE) for the owner change + 1 insert, each exactly once.
        #expect(try await harness.opCount(stream: checkpoint.streamID) == 14)
        try await harness.stop()
    }

    @Test func walsenderLossReconnects() async throws {
        let harness = try await ReplicationHarness()
        harness.start()
        try await harness.execute("INSERT INTO documents (id, owner_id) VALUES ('a', 'u1')")
        let first = try await harness.waitForCatchUp()
        let slot = try await harness.value(
            "SELECT slot_name FROM \(harness.config.sync.storageSchema).replication_streams WHERE id = \(first.streamID)"
        )!
        try await harness.execute(
            "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '\(slot)'")
        try await harness.execute("INSERT INTO documents (id, owner_id) VALUES ('b', 'u1')")
        let checkpoint = try await harness.waitForCatchUp()
        try await verify(harness, checkpoint)
        #expect(try await harness.opCount(stream: checkpoint.streamID) == 2)
        try await harness.stop()
    }

    @Test func lostSlotRebuildsANewStreamWhileTheOldOneServes() async throws {
        let harness = try await ReplicationHarness()
        harness.start()
        try await harness.execute("INSERT INTO documents (id, owner_id) VALUES ('a', 'u1')")
        let first = try await harness.waitForCatchUp()
        try await harness.stop()
        let slot = try await harness.value(
            "SELECT slot_name FROM \(harness.config.sync.storageSchema).replication_streams WHERE id = \(first.streamID)"
        )!
        try await harness.execute("SELECT pg_drop_replication_slot('\(slot)')")
        #expect(try await harness.storage.latestCheckpoint()?.streamID == first.streamID)
        try await harness.execute("INSERT INTO documents (id, owner_id) VALUES ('b', 'u2')")
        harness.start()
        let checkpoint = try await harness.waitForCatchUp()
        #expect(checkpoint.streamID != first.streamID)
        try await verify(harness, checkpoint)
        #expect(try await harness.storage.stream(id: first.streamID)?.state != .active)
        try await harness.stop()
    }

    @Test func writeCheckpointResolvesOnceReplicationPassesIt() async throws {
        let harness = try await ReplicationHarness()
        harness.start()
        _ = try await harness.waitForCatchUp()
        let number = try await harness.storage.createWriteCheckpoint(userID: "u1", clientID: "c1")
        #expect(number == 1)
        let deadline = ContinuousClock.now + .seconds(20)
        var resolved: Int64?
        while resolved == nil, ContinuousClock.now < deadline {
            if let checkpoint = try await harness.storage.latestCheckpoint() {
                resolved = try await harness.storage.writeCheckpoint(
                    userID: "u1", clientID: "c1", resolvedAt: checkpoint.lsn)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(resolved == 1)
        #expect(
            try await harness.storage.writeCheckpoint(userID: "u1", clientID: "other", resolvedAt: LSN(.max)) == nil)
        try await harness.stop()
    }

    @Test func compactionKeepsChecksumsAndContents() async throws {
        let harness = try await ReplicationHarness()
        harness.start()
        _ = try await harness.waitForCatchUp()
        try await harness.execute(
            "INSERT INTO documents (id, owner_id) SELECT 'd' || g, 'u1' FROM generate_series(1, 20) g")
        for round in 1...5 {
            try await harness.execute("UPDATE documents SET title = 'r\(round)'")
        }
        try await harness.execute("UPDATE documents SET owner_id = 'u2' WHERE id IN ('d1', 'd2')")
        let checkpoint = try await harness.waitForCatchUp()
        try await harness.stop()
        let bucket = "\(checkpoint.streamID)#user_data[\"u1\"]"
        let before = try await harness.storage.checksums(
            stream: checkpoint.streamID, buckets: [bucket], upTo: checkpoint.opID)
        let contentsBefore = try await harness.bucketContents(checkpoint)
        let summary = try await harness.storage.compact(stream: checkpoint.streamID, upTo: checkpoint.opID)
        #expect(summary.moved > 0)
        let after = try await harness.storage.checksums(
            stream: checkpoint.streamID, buckets: [bucket], upTo: checkpoint.opID)
        #expect(after[bucket]?.checksum == before[bucket]?.checksum)
        #expect(after[bucket]!.count < before[bucket]!.count)
        #expect(try await harness.bucketContents(checkpoint) == contentsBefore)
    }
}
