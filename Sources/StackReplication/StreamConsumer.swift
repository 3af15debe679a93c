import Logging
import PostgresNIO
import StackBuckets
import StackCore
import StackPGOutput
import StackPostgres
import StackSyncRules

/// The streaming loop's state: assembles transactions, batches them and commits at chunk boundaries.
struct StreamConsumer {
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
    //
    // Storage writes give up when Postgres goes away: while it shuts down, its walsender waits for this stream to
    // confirm the WAL it sent, and a write waiting for the pool to reconnect would keep it waiting until pg_ctl's
    // timeout. Giving up ends the stream, whose connection then closes; what was not confirmed is replayed.
    private mutating func flush() async throws {
        let runner = self.runner
        if let lsn = pendingLSN {
            let changes = pending
            let outcome = try await runner.availability.abandoningWhenUnreachable {
                try await runner.commit(changes, lsn: lsn)
            }
            connection.confirm(lsn)
            persisted = lsn
            pending.removeAll(keepingCapacity: true)
            pendingLSN = nil
            if outcome.checkpoint != nil { await runner.onCommit(outcome) }
        }
        if let lsn = keepaliveLSN {
            keepaliveLSN = nil
            let outcome = try await runner.availability.abandoningWhenUnreachable {
                try await runner.storage.keepalive(stream: runner.streamID, lsn: lsn)
            }
            if lsn > persisted { connection.confirm(lsn) }
            if outcome.checkpoint != nil { await runner.onCommit(outcome) }
        }
    }
}

extension StreamRunner {
    /// Writes one batch of the stream's changes and the LSN they end at, in one storage transaction.
    fileprivate func commit(_ changes: [RowChange], lsn: LSN) async throws -> CommitOutcome {
        guard snapshotGuard.isActive else { return try await write(changes, lsn: lsn) }
        // While tables are still being copied, snapshot chunks must see which rows this commit wrote.
        return try await snapshotGuard.exclusively {
            let outcome = try await write(changes, lsn: lsn)
            snapshotGuard.recordStreamWrites(changes)
            return outcome
        }
    }

    // A batch is planned and written in chunks within its one storage transaction: while one chunk's rows go into
    // Postgres, the next chunk's stored rows are looked up and its ops planned.
    private func write(_ changes: [RowChange], lsn: LSN) async throws -> CommitOutcome {
        let start = ContinuousClock.now
        var planning = Duration.zero
        var planner = BatchPlanner(rules: rules, streamID: streamID)
        let outcome = try await storage.commit(stream: streamID, lsn: lsn) { writer in
            for first in stride(from: 0, to: max(changes.count, 1), by: Self.chunkChanges) {
                let chunk = Array(changes[first..<min(first + Self.chunkChanges, changes.count)])
                let planStart = ContinuousClock.now
                let incomplete = planner.incompleteRows.count
                try await storage.plan(chunk, into: &planner, stream: streamID) { changes, missing in
                    try await fillingUnchangedColumns(changes, incomplete: missing)
                }
                if planner.incompleteRows.count > incomplete {
                    logger.warning(
                        "unchanged TOAST values without a stored copy or a source row; columns left out",
                        metadata: ["replication.rows": "\(planner.incompleteRows.count - incomplete)"])
                }
                planning += ContinuousClock.now - planStart
                try await writer.write(planner.takeWrites())
            }
        }
        for error in planner.errors.prefix(5) {
            logger.warning(
                "sync rule evaluation failed for a row",
                metadata: ["sync.definition": "\(error.definition)", "error": "\(error.message)"])
        }
        logger.debug(
            "replication batch written",
            metadata: [
                "replication.changes": "\(changes.count)", "replication.ops": "\(outcome.opCount)",
                "replication.plan_ms": "\(planning.milliseconds)",
                "replication.total_ms": "\((ContinuousClock.now - start).milliseconds)",
            ])
        return outcome
    }

    /// Changes planned and handed to the writer at a time.
    static let chunkChanges = 5_000

    // An update that left a TOASTed column alone, on a row with no stored copy (its table is still being copied, the
    // row was stored without one, or the copy is missing): that column's current value is read from the table. It
    // may be newer than the update, never older, and any later change to it comes through the stream.
    private func fillingUnchangedColumns(_ changes: [RowChange], incomplete: Set<SourceRowKey>) async throws
        -> [RowChange]
    {
        var infos: [SourceTable: SourceTableInfo?] = [:]
        var result = changes
        for index in result.indices {
            guard case .put(let table, let key, let oldKey, var row, let unchanged) = result[index], !unchanged.isEmpty,
                incomplete.contains(SourceRowKey(table: table.description, key: key))
            else { continue }
            if infos[table] == nil {
                infos[table] = .some(
                    try await SourceTableInfo.load(table, client: storage.client, logger: logger))
            }
            guard let info = infos[table] ?? nil,
                let current = try await info.currentValues(
                    of: unchanged, keyedLike: row, client: storage.client, logger: logger)
            else { continue }
            for name in unchanged { row[name] = current[name] }
            result[index] = .put(table: table, key: key, oldKey: oldKey, row: row, unchanged: [])
        }
        return result
    }
}
