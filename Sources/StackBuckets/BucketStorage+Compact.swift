import PostgresNIO
import StackPostgres

/// What a compaction run did.
public struct CompactionSummary: Sendable, Hashable {
    /// Buckets examined.
    public var buckets = 0
    /// Ops rewritten as MOVE.
    public var moved = 0
    /// Ops folded into CLEARs.
    public var cleared = 0
}

extension BucketStorage {
    /// Compacts every bucket of a stream up to `upTo` (normally its current checkpoint): superseded PUT/REMOVE
    /// become MOVE, leading non-PUT ops become one CLEAR. Bucket checksums stay the same.
    public func compact(stream: Int, upTo: Int64) async throws -> CompactionSummary {
        var summary = CompactionSummary()
        do {
            let names = try await client.queryIfOpen(
                "SELECT DISTINCT bucket_name FROM \(unescaped: s).bucket_data WHERE group_id = \(stream)",
                logger: logger)
            var buckets: [String] = []
            for try await name in names.decode(String.self) { buckets.append(name) }
            for bucket in buckets {
                let (moved, cleared) = try await compact(stream: stream, bucket: bucket, upTo: upTo)
                summary.buckets += 1
                summary.moved += moved
                summary.cleared += cleared
            }
        } catch let error as BucketStorageError {
            throw error
        } catch {
            throw BucketStorageError.query("compact buckets", error)
        }
        return summary
    }

    private func compact(stream: Int, bucket: String, upTo: Int64) async throws -> (Int, Int) {
        let s = self.s
        let logger = self.logger
        return try await client.transaction(logger: logger) { connection -> (Int, Int) in
            let rows = try await connection.queryIfOpen(
                """
                SELECT op_id, op, table_name, row_id, source_table, source_key, checksum, target_op
                FROM \(unescaped: s).bucket_data
                WHERE group_id = \(stream) AND bucket_name = \(bucket) AND op_id <= \(upTo)
                ORDER BY op_id FOR UPDATE
                """, logger: logger)
            var ops: [CompactionPlan.Op] = []
            for try await row in rows.decode((Int64, String, String?, String?, String?, String?, Int64, Int64?).self) {
                let key: String? =
                    if let table = row.2, let id = row.3 {
                        [table, id, row.4 ?? "", row.5 ?? ""].joined(separator: "\u{1F}")
                    } else { nil }
                ops.append(
                    CompactionPlan.Op(
                        opID: row.0, op: OpType(rawValue: row.1) ?? .put, rowKey: key,
                        checksum: UInt32(truncatingIfNeeded: row.6), targetOp: row.7))
            }
            let plan = CompactionPlan.plan(ops)
            if !plan.moves.isEmpty {
                let ids = plan.moves.map(\.opID)
                let targets = plan.moves.map(\.target)
                try await connection.queryIfOpen(
                    """
                    UPDATE \(unescaped: s).bucket_data d SET op = 'MOVE', target_op = m.t, table_name = NULL,
                      row_id = NULL, data = NULL, source_table = NULL, source_key = NULL
                    FROM unnest(\(ids)::bigint[], \(targets)::bigint[]) AS m(o, t)
                    WHERE d.group_id = \(stream) AND d.bucket_name = \(bucket) AND d.op_id = m.o
                    """, logger: logger)
            }
            var cleared = 0
            if let clear = plan.clear {
                let deleted = try await connection.queryIfOpen(
                    """
                    WITH gone AS (DELETE FROM \(unescaped: s).bucket_data
                      WHERE group_id = \(stream) AND bucket_name = \(bucket) AND op_id <= \(clear.upTo) RETURNING 1)
                    SELECT count(*)::bigint FROM gone
                    """, logger: logger)
                for try await count in deleted.decode(Int64.self) { cleared = Int(count) }
                try await connection.queryIfOpen(
                    """
                    INSERT INTO \(unescaped: s).bucket_data (group_id, bucket_name, op_id, op, checksum, target_op)
                    VALUES (\(stream), \(bucket), \(clear.opID), 'CLEAR', \(Int64(clear.checksum)), \(clear.targetOp))
                    """, logger: logger)
            }
            return (plan.moves.count, cleared)
        }
    }
}
