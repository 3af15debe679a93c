import Logging
import PostgresNIO
import StackPGOutput
import StackPostgres
import StackSyncRules

/// Snapshot progress of one table, written in the same transaction as the chunk's ops.
public struct SnapshotProgress: Sendable, Hashable {
    /// The table.
    public var table: SourceTable
    /// The last `id` copied (JSON text of the value), nil before the first chunk.
    public var lastKey: String?
    /// Rows copied so far.
    public var replicated: Int64
    /// True when the table is fully copied.
    public var done: Bool

    /// Creates progress.
    public init(table: SourceTable, lastKey: String?, replicated: Int64, done: Bool) {
        self.table = table
        self.lastKey = lastKey
        self.replicated = replicated
        self.done = done
    }
}

/// What a batch commit did.
public struct CommitOutcome: Sendable, Hashable {
    /// The checkpoint created, nil when checkpoints are still blocked (snapshot, replay, `no_checkpoint_before`).
    public var checkpoint: Checkpoint?
    /// True when this commit made the stream ACTIVE (its first checkpoint).
    public var activated: Bool
    /// Streams this activation superseded (now STOP: drop their slots and data).
    public var superseded: [Int]
    /// Ops written.
    public var opCount: Int
}

extension BucketStorage {
    /// Writes a planned batch, snapshot progress and the checkpoint for `lsn` in ONE transaction, then notifies.
    ///
    /// `lsn` is the end of the last source transaction in the batch (nil for snapshot chunks). Because the
    /// checkpoint and `persisted_lsn` commit together with the ops, a replay after a crash can skip every source
    /// transaction at or below `persisted_lsn` and never duplicates ops.
    public func commit(stream: Int, planner: BatchPlanner, lsn: LSN?, progress: SnapshotProgress? = nil)
        async throws -> CommitOutcome
    {
        let s = self.s
        let logger = self.logger
        let channel = self.channel
        let schema = self.schema
        let outcome: CommitOutcome
        do {
            outcome = try await client.transaction(logger: logger) { connection -> CommitOutcome in
                try await Self.write(planner, stream: stream, s: s, on: connection, logger: logger)
                var maxOp: Int64 = 0
                if !planner.ops.isEmpty || !planner.parameters.isEmpty {
                    // The last id the sequence handed to this session: the op or parameter row written last.
                    let rows = try await connection.queryIfOpen(
                        "SELECT currval('\(unescaped: s).op_id_sequence')", logger: logger)
                    for try await id in rows.decode(Int64.self) { maxOp = id }
                }
                if let progress {
                    try await connection.queryIfOpen(
                        """
                        UPDATE \(unescaped: s).source_tables SET snapshot_last_key = \(progress.lastKey),
                          snapshot_replicated_count = \(progress.replicated), snapshot_done = \(progress.done)
                        WHERE group_id = \(stream) AND schema_name = \(progress.table.schema)
                          AND table_name = \(progress.table.name)
                        """, logger: logger)
                }
                guard let lsn else {
                    if maxOp > 0 {
                        try await connection.queryIfOpen(
                            """
                            UPDATE \(unescaped: s).replication_streams
                            SET keepalive_op = GREATEST(coalesce(keepalive_op, 0), \(maxOp)) WHERE id = \(stream)
                            """, logger: logger)
                    }
                    return CommitOutcome(checkpoint: nil, activated: false, superseded: [], opCount: planner.ops.count)
                }
                return try await Self.checkpoint(
                    stream: stream, lsn: lsn, maxOp: maxOp, opCount: planner.ops.count, s: s, schema: schema,
                    channel: channel, on: connection, logger: logger)
            }
        } catch {
            throw BucketStorageError.query("write a batch", error)
        }
        if let checkpoint = outcome.checkpoint {
            notifier.publish(checkpoint)
        }
        return outcome
    }

    /// A checkpoint without data: advances the LSN so write checkpoints resolve (logical `ping` messages).
    public func keepalive(stream: Int, lsn: LSN) async throws -> CommitOutcome {
        try await commit(stream: stream, planner: BatchPlanner.empty, lsn: lsn)
    }

    // Ops, parameter rows and row states go in with COPY: the op ids come from the column default as each row is
    // inserted, in the order planned (PROTOCOL §7.2: "nextval in statement order").
    private static func write(
        _ planner: BatchPlanner, stream: Int, s: String, on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !planner.ops.isEmpty || !planner.parameters.isEmpty || !planner.changed.isEmpty else { return }
        // COPY names its table unqualified: the storage schema comes first for the rest of this transaction.
        try await connection.queryIfOpen("SET LOCAL search_path TO \(unescaped: s)", logger: logger)
        if !planner.ops.isEmpty {
            var rows = CopyTextRows(capacity: planner.ops.count * 256)
            for op in planner.ops {
                rows.append(stream)
                rows.append(op.bucket)
                rows.append(op.op)
                rows.append(op.source.table)
                rows.append(op.source.key)
                rows.append(op.table)
                rows.append(op.rowID)
                rows.append(Int64(op.checksum))
                rows.append(op.data)
                rows.endRow()
            }
            try await connection.copy(
                rows, into: "bucket_data",
                columns: [
                    "group_id", "bucket_name", "op", "source_table", "source_key", "table_name", "row_id", "checksum",
                    "data",
                ], logger: logger)
        }
        if !planner.parameters.isEmpty {
            var rows = CopyTextRows(capacity: planner.parameters.count * 128)
            for parameter in planner.parameters {
                rows.append(stream)
                rows.append(parameter.source.table)
                rows.append(parameter.source.key)
                rows.append(parameter.lookup)
                rows.append(parameter.parameters)
                rows.endRow()
            }
            try await connection.copy(
                rows, into: "bucket_parameters",
                columns: ["group_id", "source_table", "source_key", "lookup", "bucket_parameters"], logger: logger)
        }
        try await saveRows(planner, stream: stream, s: s, on: connection, logger: logger)
    }

    // A changed row that was stored is deleted, and every changed row that still exists is inserted anew: one
    // DELETE for the replaced rows and one COPY, instead of an upsert per row.
    private static func saveRows(
        _ planner: BatchPlanner, stream: Int, s: String, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let replaced = planner.changed.filter { planner.stored.contains($0) }.map { $0 }
        for start in stride(from: 0, to: replaced.count, by: chunkSize) {
            let slice = replaced[start..<min(start + chunkSize, replaced.count)]
            try await connection.queryIfOpen(
                deleteStoredRowsQuery(schema: s, stream: stream, keys: Array(slice)), logger: logger)
        }
        var rows = CopyTextRows(capacity: planner.changed.count * 256)
        for key in planner.changed {
            guard let row = planner.rows[key] ?? nil else { continue }
            rows.append(stream)
            rows.append(key.table)
            rows.append(key.key)
            rows.append(row.bucketsText)
            rows.append(row.lookupsText)
            rows.append(row.dataText)
            rows.endRow()
        }
        guard rows.count > 0 else { return }
        try await connection.copy(
            rows, into: "current_data",
            columns: ["group_id", "source_table", "source_key", "buckets", "lookups", "data"], logger: logger)
    }

    // PROTOCOL §7.3: a checkpoint needs the snapshot done and an LSN at or past both the last checkpoint and
    // no_checkpoint_before; otherwise the ops wait in keepalive_op for the first allowed checkpoint.
    private static func checkpoint(
        stream: Int, lsn: LSN, maxOp: Int64, opCount: Int, s: String, schema: String, channel: String,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> CommitOutcome {
        let text = lsn.description
        let rows = try await connection.queryIfOpen(
            """
            UPDATE \(unescaped: s).replication_streams r SET
              persisted_lsn = CASE WHEN r.persisted_lsn IS NULL OR r.persisted_lsn < \(text) THEN \(text)
                ELSE r.persisted_lsn END,
              last_checkpoint = CASE WHEN c.ok
                THEN GREATEST(coalesce(r.last_checkpoint, 0), \(maxOp), coalesce(r.keepalive_op, 0))
                ELSE r.last_checkpoint END,
              last_checkpoint_lsn = CASE WHEN c.ok THEN \(text) ELSE r.last_checkpoint_lsn END,
              keepalive_op = CASE WHEN c.ok THEN NULL ELSE GREATEST(coalesce(r.keepalive_op, 0), \(maxOp)) END,
              last_checkpoint_ts = CASE WHEN c.ok THEN now() ELSE r.last_checkpoint_ts END,
              last_keepalive_ts = now(),
              state = CASE WHEN c.ok AND r.state = 'PROCESSING' THEN 'ACTIVE' ELSE r.state END
            FROM (SELECT snapshot_done AND (last_checkpoint_lsn IS NULL OR last_checkpoint_lsn <= \(text))
                    AND (no_checkpoint_before IS NULL OR no_checkpoint_before <= \(text)) AS ok, state AS old_state
                  FROM \(unescaped: s).replication_streams WHERE id = \(stream) FOR UPDATE) c
            WHERE r.id = \(stream)
            RETURNING c.ok, r.last_checkpoint, c.old_state
            """, logger: logger)
        var result: (ok: Bool, op: Int64?, oldState: String)?
        for try await row in rows.decode((Bool, Int64?, String).self) { result = (row.0, row.1, row.2) }
        guard let result else {
            throw BucketStorageError(
                code: "STACK-B002",
                message: "Replication stream \(stream) no longer exists in bucket storage. Restart stack so "
                    + "replication starts a new stream.")
        }
        guard result.ok, let op = result.op else {
            return CommitOutcome(checkpoint: nil, activated: false, superseded: [], opCount: opCount)
        }
        var superseded: [Int] = []
        let activated = result.oldState == StreamState.processing.rawValue
        if activated {
            let stopped = try await connection.queryIfOpen(
                """
                UPDATE \(unescaped: s).replication_streams SET state = 'STOP'
                WHERE state IN ('ACTIVE', 'PROCESSING') AND id <> \(stream) AND id < \(stream) RETURNING id
                """, logger: logger)
            for try await id in stopped.decode(Int.self) { superseded.append(id) }
        }
        let payload =
            "{\"schema\":\(quoteJSON(schema)),\"stream\":\(stream),\"checkpoint\":\"\(op)\",\"lsn\":\"\(text)\"}"
        try await connection.queryIfOpen("SELECT pg_notify(\(channel), \(payload))", logger: logger)
        return CommitOutcome(
            checkpoint: Checkpoint(streamID: stream, opID: op, lsn: lsn), activated: activated,
            superseded: superseded, opCount: opCount)
    }

    private static func quoteJSON(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

extension BatchPlanner {
    /// A planner with no rules output, for keepalives.
    static var empty: BatchPlanner {
        BatchPlanner(rules: try! SyncRules.parse(definitions: []), streamID: 0)
    }
}
