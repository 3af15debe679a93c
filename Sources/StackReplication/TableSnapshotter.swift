import Foundation
import Logging
import PostgresNIO
import StackBuckets
import StackConfig
import StackPostgres
import StackSyncRules

/// Copies a table into bucket storage in keyset chunks on its identity column, resumable from the stored
/// progress; every chunk commits with its progress in one transaction (PROTOCOL §6.4).
///
/// Reading the next chunk, planning this one and writing the previous one overlap, so the source read, the rule
/// evaluation and the bucket-storage write keep both Postgres and this process busy.
struct TableSnapshotter {
    let storage: BucketStorage
    /// The source database (password included), read with libpq COPY.
    let sourceURL: String
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
        /// Planned and serialised ahead of the write, nil when it must be planned while holding the guard (rows may
        /// be stored).
        var encoded: EncodedWrites?
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
        // Three chunks in flight: the next one is read while this one is planned and the previous one is written,
        // so the source read, the rule evaluation and the storage write each keep a core busy.
        // Seconds each stage spent (they overlap): where a slow snapshot waits, in the --verbose log.
        var (reading, planning, writing) = (Duration.zero, Duration.zero, Duration.zero)
        let source = try await CopyOutConnection.connect(url: sourceURL)
        defer { Task { await source.close() } }
        var (current, firstRead): (Chunk?, Duration) = try await timed {
            try await read(info, after: state.lastKey, from: source)
        }
        reading += firstRead
        var previous: (chunk: Chunk, progress: SnapshotProgress)?
        while current != nil || previous != nil {
            let after = current.flatMap { $0.lastKey } ?? state.lastKey
            let (readMore, toWrite) = (current.map { !$0.isLast } ?? false, previous)
            async let following = timed { readMore ? try await read(info, after: after, from: source) : nil }
            async let wrote = timed { try await write(toWrite) }
            var planned: (chunk: Chunk, progress: SnapshotProgress)?
            if var chunk = current {
                planning += try await timed { try await planAhead(&chunk, table: table) }.1
                state.replicated += Int64(chunk.rows)
                state.lastKey = chunk.lastKey ?? state.lastKey
                state.done = chunk.isLast
                planned = (chunk, state)
            }
            writing += try await wrote.1
            if let previous {
                copied += Int64(previous.chunk.rows)
                meter.report(previous.progress, logger: logger)
            }
            previous = planned
            let next = try await following
            (current, reading) = (next.0, reading + next.1)
        }
        logger.debug(
            "snapshot stages",
            metadata: [
                "replication.table": "\(table)", "snapshot.read_seconds": "\(Self.seconds(reading))",
                "snapshot.plan_seconds": "\(Self.seconds(planning))",
                "snapshot.write_seconds": "\(Self.seconds(writing))",
            ])
        return copied
    }

    /// Runs `body` and returns its result with the time it took.
    private func timed<T>(_ body: () async throws -> T) async rethrows -> (T, Duration) {
        let start = ContinuousClock.now
        let result = try await body()
        return (result, ContinuousClock.now - start)
    }

    private static func seconds(_ duration: Duration) -> String {
        let (whole, attoseconds) = duration.components
        return String(format: "%.2f", Double(whole) + Double(attoseconds) / 1e18)
    }

    private func write(_ planned: (chunk: Chunk, progress: SnapshotProgress)?) async throws {
        if let planned { try await write(planned.chunk, progress: planned.progress) }
    }

    private func write(_ chunk: Chunk, progress: SnapshotProgress) async throws {
        let table = progress.table
        try await snapshotGuard.exclusively {
            let kept = snapshotGuard.unsuperseded(chunk.changes, table: table)
            if let encoded = chunk.encoded, kept == nil {
                _ = try await storage.commit(stream: stream, encoded: encoded, lsn: nil, progress: progress)
            } else {
                var planner = BatchPlanner(rules: rules, streamID: stream)
                try await storage.plan(
                    kept ?? chunk.changes, into: &planner, stream: stream, assumeNew: snapshotGuard.rowsAreNew)
                logErrors(of: planner, table: table)
                _ = try await storage.commit(stream: stream, planner: planner, lsn: nil, progress: progress)
            }
            if progress.done { snapshotGuard.finish(table) }
        }
        // The stream confirms the ping's LSN once it has seen it, so the slot moves on chunk by chunk and keeps
        // little of the WAL these writes make.
        try await storage.emitPing()
    }

    /// Reads the chunk after `lastKey`.
    private func read(_ info: SourceTableInfo, after lastKey: String?, from source: CopyOutConnection)
        async throws -> Chunk
    {
        let select = info.columns.map { "\(Identifier.quoted($0.name))::text" }.joined(separator: ", ")
        let from = "\(Identifier.quoted(info.table.schema)).\(Identifier.quoted(info.table.name))"
        let (key, chunkSize) = (info.keysetColumn, chunkSize)
        let bytes = try await source.copyOut { literal in
            guard let key else {
                // Without a single identity column there is no keyset: copy in one pass (not resumable).
                return "SELECT \(select) FROM \(from)"
            }
            let column = Identifier.quoted(key.name)
            let after = try lastKey.map { " WHERE \(column) > \(try literal($0))::text::\(key.typeName)" } ?? ""
            return "SELECT \(select) FROM \(from)\(after) ORDER BY \(column) LIMIT \(chunkSize)"
        }
        let keyIndex = info.keysetColumn.flatMap { key in info.columns.firstIndex { $0.name == key.name } }
        var changes: [RowChange] = []
        changes.reserveCapacity(chunkSize)
        var last: String?
        try CopyTextReader(bytes).forEachRow(columns: info.columns.count) { values in
            if let keyIndex { last = values[keyIndex] }
            changes.append(info.change(values))
        }
        return Chunk(
            changes: changes, encoded: nil, rows: changes.count, lastKey: last,
            isLast: info.keysetColumn == nil || changes.count < chunkSize)
    }

    /// Plans and serialises a chunk's writes ahead of its write when no stored row can exist for them yet.
    private func planAhead(_ chunk: inout Chunk, table: SourceTable) async throws {
        guard snapshotGuard.rowsAreNew else { return }
        var planner = BatchPlanner(rules: rules, streamID: stream)
        try await storage.plan(chunk.changes, into: &planner, stream: stream, assumeNew: true)
        logErrors(of: planner, table: table)
        chunk.encoded = EncodedWrites(planner.writes(), stream: stream)
    }

    /// One warning per chunk whose rows the rules could not evaluate: those rows are in none of that query's buckets.
    private func logErrors(of planner: BatchPlanner, table: SourceTable) {
        guard let first = planner.errors.first else { return }
        logger.warning(
            "sync rule evaluation failed for rows of the snapshot",
            metadata: [
                "replication.table": "\(table)", "snapshot.failed_evaluations": "\(planner.errors.count)",
                "sync.definition": "\(first.definition)", "error": "\(first.message)",
            ])
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
