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
        try await commit(stream: stream, lsn: lsn, progress: progress) { writer in
            try await writer.write(planner.writes())
        }
    }

    /// Like `commit(stream:planner:lsn:progress:)` for writes serialised ahead of time.
    public func commit(stream: Int, encoded: EncodedWrites, lsn: LSN?, progress: SnapshotProgress? = nil)
        async throws -> CommitOutcome
    {
        try await commit(stream: stream, lsn: lsn, progress: progress) { writer in
            try await writer.write(encoded)
        }
    }

    /// Like `commit(stream:planner:lsn:progress:)` for a batch planned chunk by chunk: `produce` hands each chunk's
    /// writes to the writer, which writes them in the transaction while `produce` plans the next chunk.
    public func commit(
        stream: Int, lsn: LSN?, progress: SnapshotProgress? = nil,
        writing produce: (inout BatchWriter) async throws -> Void
    ) async throws -> CommitOutcome {
        let s = self.s
        let logger = self.logger
        let channel = self.channel
        let schema = self.schema
        let outcome: CommitOutcome
        do {
            outcome = try await client.transaction(logger: logger) { connection -> CommitOutcome in
                var writer = BatchWriter(connection: connection, stream: stream, s: s, logger: logger)
                do {
                    try await produce(&writer)
                    try await writer.finish()
                } catch {
                    // The connection is free for the ROLLBACK only once the chunk being written is done.
                    await writer.abandon()
                    throw error
                }
                var maxOp: Int64 = 0
                if writer.drewOpIDs {
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
                    return CommitOutcome(checkpoint: nil, activated: false, superseded: [], opCount: writer.opCount)
                }
                return try await Self.checkpoint(
                    stream: stream, lsn: lsn, maxOp: maxOp, opCount: writer.opCount, s: s, schema: schema,
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
        try await commit(stream: stream, lsn: lsn) { _ in }
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
