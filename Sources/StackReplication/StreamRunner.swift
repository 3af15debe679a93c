import Foundation
import Logging
import PostgresNIO
import StackBuckets
import StackPGOutput
import StackPostgres
import StackSyncRules

/// Replicates one stream: creates its slot, snapshots its tables, then streams; reconnects with backoff.
/// Ends when cancelled (graceful shutdown) and throws `ReplicationError` (R101) when its slot is lost.
struct StreamRunner: Sendable {
    let storage: BucketStorage
    let rules: SyncRules
    let streamID: Int
    let databaseURL: String
    /// Tells when Postgres is down, so that storage writes stop waiting for it (see `StreamConsumer.flush`).
    let availability: DatabaseAvailability
    let publication: String
    let tables: [SourceTable]
    let logger: Logger
    /// Called after every commit that created a checkpoint.
    let onCommit: @Sendable (CommitOutcome) async -> Void
    /// Flush a batch at a transaction boundary once this many changes are pending, even if more are buffered.
    var maxPendingChanges = 20_000
    /// How long a small bookkeeping query may take before the attempt is retried.
    static let controlTimeout: Duration = .seconds(15)
    /// Seconds between `ping` logical messages that let idle databases advance the checkpoint LSN.
    var pingInterval: TimeInterval = 10
    /// Rows per snapshot chunk.
    var snapshotChunkRows = 10_000
    /// Keeps snapshot chunks and stream commits from overwriting each other's newer rows.
    let snapshotGuard = SnapshotGuard()

    /// Runs until cancelled; reconnects after connection failures, backing off from 1 s to 30 s while attempts fail
    /// before streaming (a stream that got going starts over at 1 s).
    func run() async throws {
        var backoff: Duration = .seconds(1)
        while !Task.isCancelled {
            var streamed = false
            do {
                try await runOnce(streamed: &streamed)
                return
            } catch is CancellationError {
                return
            } catch let error as ReplicationError where error.isSlotLost {
                throw error
            } catch {
                if Task.isCancelled { return }
                if let lost = Self.slotLost(error) { throw lost }
                if let stuck = await stuckBehindMissingPublication(error) { throw stuck }
                if streamed { backoff = .seconds(1) }
                logger.warning(
                    "replication interrupted; reconnecting",
                    metadata: [
                        "replication.stream": "\(streamID)", "error": "\(PostgresErrorText.describe(error))",
                        "replication.retry_in": "\(backoff)",
                    ])
                let storage = self.storage
                let (id, reason) = (streamID, PostgresErrorText.describe(error))
                // Right after Postgres connections died the pool may lease a dead one: never wait on it for good.
                _ = try? await abandoningAfter(Self.controlTimeout) {
                    try await storage.setFatalError(stream: id, reason)
                }
                logger.debug("replication error recorded", metadata: ["replication.stream": "\(streamID)"])
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(30))
            }
        }
    }

    private static func slotLost(_ error: any Error) -> ReplicationError? {
        let text = "\(error)"
        if let error = error as? ReplicationConnectionError, error.code == "STACK-R033" {
            return .slotLost("", "does not exist")
        }
        if text.contains("can no longer get changes from replication slot") || text.contains("incorrect prev-link") {
            return .slotLost("", "was invalidated")
        }
        return nil
    }

    /// pgoutput reads the publication as it was at each change it decodes: a change made while the publication did
    /// not exist stops the slot there for good, even once the publication is back (`stack up` recreates it). So when
    /// that error comes while the publication exists, the slot is as good as lost and a new stream takes over. While
    /// the publication is still missing, retrying is right (a new slot would stop the same way).
    private func stuckBehindMissingPublication(_ error: any Error) async -> ReplicationError? {
        guard "\(error)".contains("publication \"\(publication)\" does not exist") else { return nil }
        let (client, publication, logger) = (storage.client, self.publication, self.logger)
        let exists = try? await abandoningAfter(Self.controlTimeout) {
            let rows = try await client.query(
                "SELECT 1 FROM pg_publication WHERE pubname = \(publication)", logger: logger)
            for try await _ in rows { return true }
            return false
        }
        guard exists == true else { return nil }
        return .slotLost(
            "of stream \(streamID)", "cannot continue past changes made while publication \(publication) did not exist")
    }

    private func runOnce(streamed: inout Bool) async throws {
        logger.debug("replication attempt", metadata: ["replication.stream": "\(streamID)"])
        let (storage, id) = (self.storage, streamID)
        guard var record = try await abandoningAfter(Self.controlTimeout, { try await storage.stream(id: id) }) else {
            throw ReplicationError(code: "STACK-R103", message: "Replication stream \(streamID) disappeared.")
        }
        let slotName = record.slotName
        var slot = try await abandoningAfter(Self.controlTimeout) { [self] in try await slotStatus(slotName) }
        if case .lost = slot { throw ReplicationError.slotLost(record.slotName, "was invalidated (wal_status lost)") }
        if case .otherDatabase = slot {
            // Slot names are unique per cluster: another database's stack holds this one.
            guard !record.snapshotDone else {
                throw ReplicationError.slotLost(record.slotName, "belongs to another database of this cluster")
            }
            let taken = record.slotName
            record.slotName = try await storage.renameSlot(stream: streamID)
            slot = .missing
            logger.notice(
                "replication slot name taken by another database; using a new one",
                metadata: ["replication.slot": "\(record.slotName)", "replication.taken": "\(taken)"])
        }
        logger.debug("replication slot checked", metadata: ["replication.slot": "\(record.slotName)"])
        let connection = try await LibPQReplicationConnection.connect(url: databaseURL, logger: logger)
        var progress: [SourceTable: SnapshotProgress]?
        do {
            if !record.snapshotDone {
                if case .missing = slot {
                    let point = try await connection.createSlot(record.slotName)
                    logger.notice(
                        "replication slot created",
                        metadata: ["replication.slot": "\(record.slotName)", "replication.lsn": "\(point)"])
                }
                let stored = try await storage.sourceTables(stream: streamID)
                progress = stored
                // Stored rows this process has not seen written exist once the stream committed before this attempt.
                snapshotGuard.begin(
                    tables: tables.filter { stored[$0]?.done != true }, rowsAreNew: record.persistedLSN == nil)
            } else if case .missing = slot {
                throw ReplicationError.slotLost(record.slotName, "does not exist")
            }
            try await storage.setFatalError(stream: streamID, nil)
            let events = try await connection.startReplication(slot: record.slotName, publications: [publication])
            streamed = true
            logger.info("replication streaming", metadata: ["replication.slot": "\(record.slotName)"])
            try await stream(
                events, connection: connection, persisted: record.persistedLSN ?? .zero,
                snapshot: progress)
        } catch {
            await connection.stop()
            throw error
        }
        await connection.stop()
    }

    private enum SlotStatus { case missing, healthy, lost, otherDatabase }

    private func slotStatus(_ slot: String) async throws -> SlotStatus {
        let rows = try await storage.client.queryIfOpen(
            """
            SELECT coalesce(wal_status, ''), database IS NOT DISTINCT FROM current_database()
            FROM pg_replication_slots WHERE slot_name = \(slot)
            """, logger: logger)
        for try await (status, ours) in rows.decode((String, Bool).self) {
            guard ours else { return .otherDatabase }
            return status == "lost" ? .lost : .healthy
        }
        return .missing
    }

    private func snapshot(_ progress: [SourceTable: SnapshotProgress]) async throws {
        var snapshotter = TableSnapshotter(
            storage: storage, sourceURL: databaseURL, rules: rules, stream: streamID, snapshotGuard: snapshotGuard,
            logger: logger)
        snapshotter.chunkSize = snapshotChunkRows
        for table in tables {
            guard let info = try await SourceTableInfo.load(table, client: storage.client, logger: logger) else {
                logger.warning("synced table does not exist; skipped", metadata: ["replication.table": "\(table)"])
                snapshotGuard.finish(table)
                continue
            }
            try await snapshotter.snapshot(info, progress: progress[table])
        }
        var lsn = LSN.zero
        let rows = try await storage.client.queryIfOpen("SELECT pg_current_wal_lsn()::text", logger: logger)
        for try await text in rows.decode(String.self) { lsn = LSN(text) ?? .zero }
        try await storage.markSnapshotDone(stream: streamID, lsn: lsn)
        // The ping reaches the stream right after everything the snapshot may have missed, so the first
        // checkpoint comes quickly even on an idle database.
        try await storage.emitPing()
    }

    private enum Part { case ping, stream, snapshot }

    // The snapshot runs alongside the stream rather than before it: the stream keeps confirming, so the slot does
    // not hold the WAL of the whole snapshot (bucket writes make several times the table's size). No checkpoint is
    // exposed before the snapshot is done and the stream passed the LSN recorded after it.
    private func stream(
        _ events: ReplicationEventStream, connection: LibPQReplicationConnection, persisted: LSN,
        snapshot progress: [SourceTable: SnapshotProgress]?
    ) async throws {
        try await withThrowingTaskGroup(of: Part.self) { group in
            group.addTask { [pingInterval, self] in
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(pingInterval))
                    _ = try? await abandoningAfter(Self.controlTimeout) { try await storage.emitPing() }
                }
                return .ping
            }
            group.addTask {
                var consumer = StreamConsumer(runner: self, connection: connection, persisted: persisted)
                try await consumer.consume(events)
                return .stream
            }
            if let progress {
                group.addTask {
                    try await self.snapshot(progress)
                    return .snapshot
                }
            }
            defer { group.cancelAll() }
            while let part = try await group.next(), part == .snapshot {}
        }
    }
}
