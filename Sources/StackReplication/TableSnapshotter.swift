import Foundation
import Logging
import PostgresNIO
import StackBuckets
import StackConfig
import StackSyncRules

/// Copies a table into bucket storage in keyset chunks on its identity column, resumable from the stored
/// progress; every chunk commits with its progress in one transaction (PROTOCOL §6.4).
struct TableSnapshotter {
    let storage: BucketStorage
    let rules: SyncRules
    let stream: Int
    let logger: Logger
    /// Rows per chunk.
    var chunkSize = 10_000
    /// Seconds between progress lines.
    var progressInterval: TimeInterval = 2

    /// Copies `info.table` starting after `progress.lastKey`; returns the rows copied in this run.
    @discardableResult
    func snapshot(_ info: SourceTableInfo, progress: SnapshotProgress?) async throws -> Int64 {
        let table = info.table
        let client = storage.client
        var total: Int64 = 0
        let counted = try await client.query(
            "SELECT count(*)::bigint FROM \(unescaped: Identifier.quoted(table.schema)).\(unescaped: Identifier.quoted(table.name))",
            logger: logger)
        for try await count in counted.decode(Int64.self) { total = count }
        try await storage.registerSourceTable(stream: stream, table: table, estimatedRows: total)
        var state = progress ?? SnapshotProgress(table: table, lastKey: nil, replicated: 0, done: false)
        if state.done { return 0 }
        let select = info.columns.map { "\(Identifier.quoted($0.name))::text" }.joined(separator: ", ")
        let from = "\(Identifier.quoted(table.schema)).\(Identifier.quoted(table.name))"
        let started = Date()
        var lastLog = started
        let startCount = state.replicated
        var copied: Int64 = 0
        logger.notice(
            "snapshot started",
            metadata: ["replication.table": "\(table)", "snapshot.rows": "\(total)", "snapshot.resumed_at": "\(state.replicated)"])
        while true {
            let query: PostgresQuery
            if let key = info.keysetColumn {
                let column = Identifier.quoted(key.name)
                if let last = state.lastKey {
                    query = "SELECT \(unescaped: select) FROM \(unescaped: from) WHERE \(unescaped: column) > \(last)::text::\(unescaped: key.typeName) ORDER BY \(unescaped: column) LIMIT \(chunkSize)"
                } else {
                    query = "SELECT \(unescaped: select) FROM \(unescaped: from) ORDER BY \(unescaped: column) LIMIT \(chunkSize)"
                }
            } else {
                // Without a single identity column there is no keyset: copy in one pass (not resumable).
                query = "SELECT \(unescaped: select) FROM \(unescaped: from)"
            }
            let rows = try await client.query(query, logger: logger)
            var changes: [RowChange] = []
            changes.reserveCapacity(chunkSize)
            var lastKey: String?
            let keyIndex = info.keysetColumn.flatMap { key in info.columns.firstIndex { $0.name == key.name } }
            for try await row in rows {
                var values: [String?] = []
                values.reserveCapacity(info.columns.count)
                for cell in row { values.append(try cell.decode(String?.self)) }
                if let keyIndex { lastKey = values[keyIndex] }
                changes.append(info.change(values))
            }
            let finished = info.keysetColumn == nil || changes.count < chunkSize
            state.replicated += Int64(changes.count)
            state.lastKey = lastKey ?? state.lastKey
            state.done = finished
            var planner = BatchPlanner(rules: rules, streamID: stream)
            try await storage.plan(changes, into: &planner, stream: stream, assumeNew: true)
            _ = try await storage.commit(stream: stream, planner: planner, lsn: nil, progress: state)
            copied += Int64(changes.count)
            let now = Date()
            if now.timeIntervalSince(lastLog) >= progressInterval || finished {
                lastLog = now
                let elapsed = max(now.timeIntervalSince(started), 0.001)
                let rate = Double(state.replicated - startCount) / elapsed
                let remaining = max(Double(total - state.replicated), 0)
                let eta = rate > 0 ? Int((remaining / rate).rounded()) : 0
                logger.notice(
                    finished ? "snapshot finished" : "snapshot progress",
                    metadata: [
                        "replication.table": "\(table)", "snapshot.rows": "\(state.replicated)",
                        "snapshot.total": "\(total)", "snapshot.rows_per_second": "\(Int(rate))",
                        "snapshot.eta_seconds": "\(eta)",
                    ])
            }
            if finished { return copied }
        }
    }
}
