import Foundation
import Logging
import PostgresNIO
import StackBuckets
import StackConfig
import StackSyncRules

/// Copies a table into bucket storage in keyset chunks on its identity column, resumable from the stored
/// progress; every chunk commits with its progress in one transaction (PROTOCOL §6.4).
///
/// Reading and planning the next chunk overlaps with writing the current one, so the source read, the rule
/// evaluation and the bucket-storage write keep both Postgres and this process busy.
struct TableSnapshotter {
    let storage: BucketStorage
    let rules: SyncRules
    let stream: Int
    /// Shared with the stream that runs alongside: chunks leave out rows the stream wrote meanwhile.
    let snapshotGuard: SnapshotGuard
    let logger: Logger
    /// Rows per chunk.
    var chunkSize = 10_000
    /// Seconds between progress lines.
    var progressInterval: TimeInterval = 2

    /// One chunk read and planned, waiting to be written.
    private struct Chunk: Sendable {
        var changes: [RowChange]
        /// Planned ahead of the write, nil when it must be planned while holding the guard (rows may be stored).
        var planner: BatchPlanner?
        var rows: Int
        var lastKey: String?
        var isLast: Bool
    }

    /// Copies `info.table` starting after `progress.lastKey`; returns the rows copied in this run.
    @discardableResult
    func snapshot(_ info: SourceTableInfo, progress: SnapshotProgress?) async throws -> Int64 {
        let table = info.table
        let client = storage.client
        var total: Int64 = 0
        let counted = try await client.queryIfOpen(
            "SELECT count(*)::bigint FROM \(unescaped: Identifier.quoted(table.schema)).\(unescaped: Identifier.quoted(table.name))",
            logger: logger)
        for try await count in counted.decode(Int64.self) { total = count }
        try await storage.registerSourceTable(stream: stream, table: table, estimatedRows: total)
        var state = progress ?? SnapshotProgress(table: table, lastKey: nil, replicated: 0, done: false)
        if state.done {
            snapshotGuard.finish(table)
            return 0
        }
        var meter = ProgressMeter(table: table, total: total, start: state.replicated, interval: progressInterval)
        logger.notice(
            "snapshot started",
            metadata: [
                "replication.table": "\(table)", "snapshot.rows": "\(total)",
                "snapshot.resumed_at": "\(state.replicated)",
            ])
        var copied: Int64 = 0
        var next: Chunk? = try await read(info, after: state.lastKey)
        while let chunk = next {
            let after = chunk.lastKey ?? state.lastKey
            async let following: Chunk? = chunk.isLast ? nil : read(info, after: after)
            state.replicated += Int64(chunk.rows)
            state.lastKey = chunk.lastKey ?? state.lastKey
            state.done = chunk.isLast
            try await write(chunk, progress: state)
            copied += Int64(chunk.rows)
            meter.report(state, logger: logger)
            next = try await following
        }
        return copied
    }

    private func write(_ chunk: Chunk, progress: SnapshotProgress) async throws {
        let table = progress.table
        try await snapshotGuard.exclusively {
            let kept = snapshotGuard.unsuperseded(chunk.changes, table: table)
            var planner: BatchPlanner
            if let planned = chunk.planner, kept == nil {
                planner = planned
            } else {
                let changes = kept ?? chunk.changes
                planner = BatchPlanner(rules: rules, streamID: stream)
                try await storage.plan(changes, into: &planner, stream: stream, assumeNew: snapshotGuard.rowsAreNew)
            }
            _ = try await storage.commit(stream: stream, planner: planner, lsn: nil, progress: progress)
            if progress.done { snapshotGuard.finish(table) }
        }
        // The stream confirms the ping's LSN once it has seen it, so the slot moves on chunk by chunk and keeps
        // little of the WAL these writes make.
        try await storage.emitPing()
    }

    /// Reads the chunk after `lastKey` and plans its ops when no stored row can exist for them yet.
    private func read(_ info: SourceTableInfo, after lastKey: String?) async throws -> Chunk {
        let select = info.columns.map { "\(Identifier.quoted($0.name))::text" }.joined(separator: ", ")
        let from = "\(Identifier.quoted(info.table.schema)).\(Identifier.quoted(info.table.name))"
        let query: PostgresQuery
        if let key = info.keysetColumn {
            let column = Identifier.quoted(key.name)
            if let lastKey {
                query =
                    "SELECT \(unescaped: select) FROM \(unescaped: from) WHERE \(unescaped: column) > \(lastKey)::text::\(unescaped: key.typeName) ORDER BY \(unescaped: column) LIMIT \(chunkSize)"
            } else {
                query =
                    "SELECT \(unescaped: select) FROM \(unescaped: from) ORDER BY \(unescaped: column) LIMIT \(chunkSize)"
            }
        } else {
            // Without a single identity column there is no keyset: copy in one pass (not resumable).
            query = "SELECT \(unescaped: select) FROM \(unescaped: from)"
        }
        let keyIndex = info.keysetColumn.flatMap { key in info.columns.firstIndex { $0.name == key.name } }
        let (changes, last) = try await storage.client.withRows(query, logger: logger) { rows in
            var changes: [RowChange] = []
            changes.reserveCapacity(chunkSize)
            var last: String?
            var values: [String?] = []
            values.reserveCapacity(info.columns.count)
            for try await row in rows {
                values.removeAll(keepingCapacity: true)
                for cell in row { values.append(try cell.decode(String?.self)) }
                if let keyIndex { last = values[keyIndex] }
                changes.append(info.change(values))
            }
            return (changes, last)
        }
        var planner: BatchPlanner?
        if snapshotGuard.rowsAreNew {
            var planned = BatchPlanner(rules: rules, streamID: stream)
            try await storage.plan(changes, into: &planned, stream: stream, assumeNew: true)
            planner = planned
        }
        return Chunk(
            changes: changes, planner: planner, rows: changes.count, lastKey: last,
            isLast: info.keysetColumn == nil || changes.count < chunkSize)
    }
}

/// Progress lines of one table's snapshot: rows, rows/s and ETA every `interval` seconds and at the end.
private struct ProgressMeter {
    let table: SourceTable
    let total: Int64
    let start: Int64
    let interval: TimeInterval
    let started = Date()
    var lastLog = Date()

    init(table: SourceTable, total: Int64, start: Int64, interval: TimeInterval) {
        self.table = table
        self.total = total
        self.start = start
        self.interval = interval
    }

    mutating func report(_ state: SnapshotProgress, logger: Logger) {
        let now = Date()
        guard now.timeIntervalSince(lastLog) >= interval || state.done else { return }
        lastLog = now
        let elapsed = max(now.timeIntervalSince(started), 0.001)
        let rate = Double(state.replicated - start) / elapsed
        let remaining = max(Double(total - state.replicated), 0)
        let eta = rate > 0 ? Int((remaining / rate).rounded()) : 0
        logger.notice(
            state.done ? "snapshot finished" : "snapshot progress",
            metadata: [
                "replication.table": "\(table)", "snapshot.rows": "\(state.replicated)",
                "snapshot.total": "\(total)", "snapshot.rows_per_second": "\(Int(rate))",
                "snapshot.eta_seconds": "\(eta)",
            ])
    }
}
