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
                _ = try? await abandoningAfter(Self.controlTimeout) { try await storage.setFatalError(stream: id, reason) }
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

    private func runOnce(streamed: inout Bool) async throws {
        logger.debug("replication attempt", metadata: ["replication.stream": "\(streamID)"])
        let (storage, id) = (self.storage, streamID)
        guard let record = try await abandoningAfter(Self.controlTimeout, { try await storage.stream(id: id) }) else {
            throw ReplicationError(code: "STACK-R103", message: "Replication stream \(streamID) disappeared.")
        }
        let slot = try await abandoningAfter(Self.controlTimeout) { [self] in try await slotStatus(record.slotName) }
        if case .lost = slot { throw ReplicationError.slotLost(record.slotName, "was invalidated (wal_status lost)") }
        logger.debug("replication slot checked", metadata: ["replication.slot": "\(record.slotName)"])
        let connection = try await LibPQReplicationConnection.connect(url: databaseURL, logger: logger)
        do {
            if !record.snapshotDone {
                if case .missing = slot {
                    let point = try await connection.createSlot(record.slotName)
                    logger.notice(
                        "replication slot created",
                        metadata: ["replication.slot": "\(record.slotName)", "replication.lsn": "\(point)"])
                }
                try await snapshot()
            } else if case .missing = slot {
                throw ReplicationError.slotLost(record.slotName, "does not exist")
            }
            try await storage.setFatalError(stream: streamID, nil)
            try await stream(
                connection, slot: record.slotName, persisted: record.persistedLSN ?? .zero, streamed: &streamed)
        } catch {
            await connection.stop()
            throw error
        }
        await connection.stop()
    }

    private enum SlotStatus { case missing, healthy, lost }

    private func slotStatus(_ slot: String) async throws -> SlotStatus {
        let rows = try await storage.client.query(
            "SELECT coalesce(wal_status, '') FROM pg_replication_slots WHERE slot_name = \(slot)", logger: logger)
        for try await status in rows.decode(String.self) {
            return status == "lost" ? .lost : .healthy
        }
        return .missing
    }

    private func snapshot() async throws {
        let progress = try await storage.sourceTables(stream: streamID)
        let snapshotter = TableSnapshotter(storage: storage, rules: rules, stream: streamID, logger: logger)
        for table in tables {
            guard let info = try await SourceTableInfo.load(table, client: storage.client, logger: logger) else {
                logger.warning("synced table does not exist; skipped", metadata: ["replication.table": "\(table)"])
                continue
            }
            try await snapshotter.snapshot(info, progress: progress[table])
        }
        var lsn = LSN.zero
        let rows = try await storage.client.query("SELECT pg_current_wal_lsn()::text", logger: logger)
        for try await text in rows.decode(String.self) { lsn = LSN(text) ?? .zero }
        try await storage.markSnapshotDone(stream: streamID, lsn: lsn)
        // The ping reaches the stream right after everything the snapshot may have missed, so the first
        // checkpoint comes quickly even on an idle database.
        try await emitPing()
    }

    private func emitPing() async throws {
        try await storage.client.query("SELECT pg_logical_emit_message(false, 'powersync', 'ping')", logger: logger)
    }

    private func stream(
        _ connection: LibPQReplicationConnection, slot: String, persisted: LSN, streamed: inout Bool
    ) async throws {
        let events = try await connection.startReplication(slot: slot, publications: [publication])
        streamed = true
        logger.info("replication streaming", metadata: ["replication.slot": "\(slot)"])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [pingInterval, self] in
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(pingInterval))
                    _ = try? await abandoningAfter(Self.controlTimeout) { try await emitPing() }
                }
            }
            group.addTask {
                var consumer = StreamConsumer(runner: self, connection: connection, persisted: persisted)
                try await consumer.consume(events)
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }
}

/// The streaming loop's state: assembles transactions, batches them and commits at chunk boundaries.
private struct StreamConsumer {
    let runner: StreamRunner
    let connection: LibPQReplicationConnection
    var persisted: LSN
    var assembler = TransactionAssembler()
    var pending: [RowChange] = []
    var pendingLSN: LSN?
    var keepaliveLSN: LSN?
    var tableSet: Set<SourceTable>

    init(runner: StreamRunner, connection: LibPQReplicationConnection, persisted: LSN) {
        self.runner = runner
        self.connection = connection
        self.persisted = persisted
        self.tableSet = Set(runner.tables)
    }

    mutating func consume(_ events: ReplicationEventStream) async throws {
        var iterator = events.makeAsyncIterator()
        while let event = try await iterator.next() {
            switch event {
            case .message(let message, let walStart, _):
                switch try assembler.feed(message) {
                case .transaction(let transaction)?:
                    // Replays of transactions already written (crash between commit and confirm) are skipped.
                    if transaction.endLSN <= persisted {
                        connection.confirm(transaction.endLSN)
                        continue
                    }
                    pending += RowMapper.changes(of: transaction, tables: tableSet)
                    pendingLSN = transaction.endLSN
                case .message(let logical)?:
                    if logical.prefix == "powersync" {
                        keepaliveLSN = max(keepaliveLSN ?? .zero, max(logical.lsn, walStart))
                    }
                case nil:
                    break
                }
            case .keepalive(let keepalive):
                // Everything before a keepalive outside a transaction has been seen; once written, the slot may
                // move past it so idle WAL is released.
                if !assembler.isInTransaction && pendingLSN == nil && keepalive.walEnd > persisted {
                    connection.confirm(keepalive.walEnd)
                }
            }
            guard !assembler.isInTransaction else { continue }
            if !iterator.hasBufferedEvents || pending.count >= runner.maxPendingChanges {
                try await flush()
            }
        }
    }

    // PowerSync commits at the last commit of each received chunk: many small transactions share one storage
    // transaction, and the LSN is confirmed only after that transaction committed.
    private mutating func flush() async throws {
        if let lsn = pendingLSN {
            var planner = BatchPlanner(rules: runner.rules, streamID: runner.streamID)
            try await runner.storage.plan(pending, into: &planner, stream: runner.streamID)
            for error in planner.errors.prefix(5) {
                runner.logger.warning(
                    "sync rule evaluation failed for a row",
                    metadata: ["sync.definition": "\(error.definition)", "error": "\(error.message)"])
            }
            if !planner.incompleteRows.isEmpty {
                runner.logger.warning(
                    "unchanged TOAST values without a stored copy; columns left out",
                    metadata: ["replication.rows": "\(planner.incompleteRows.count)"])
            }
            let outcome = try await runner.storage.commit(stream: runner.streamID, planner: planner, lsn: lsn)
            connection.confirm(lsn)
            persisted = lsn
            pending.removeAll(keepingCapacity: true)
            pendingLSN = nil
            if outcome.checkpoint != nil { await runner.onCommit(outcome) }
        }
        if let lsn = keepaliveLSN {
            keepaliveLSN = nil
            let outcome = try await runner.storage.keepalive(stream: runner.streamID, lsn: lsn)
            if lsn > persisted { connection.confirm(lsn) }
            if outcome.checkpoint != nil { await runner.onCommit(outcome) }
        }
    }
}
