import PostgresNIO
import StackPGOutput
import StackPostgres
import StackSyncRules

/// The read path of the sync endpoint (PROTOCOL §7.4).
extension BucketStorage {
    /// The stream clients are served from: the newest ACTIVE one.
    public func activeStream() async throws -> ReplicationStreamRecord? {
        try await streams().last { $0.state == .active }
    }

    /// The served checkpoint (op id + LSN of the active stream), nil before the first one.
    public func latestCheckpoint() async throws -> Checkpoint? {
        try await activeStream()?.checkpoint
    }

    /// Checksum and count of each bucket over ops with `after < op_id <= upTo`; buckets without ops are
    /// absent. With `after: 0` this is the full checksum; a non-zero `after` gives an increment to add
    /// (wrapping) to a cached checksum at `after`, unless `hasClear` is set.
    public func checksums(stream: Int, buckets: [String], upTo: Int64, after: Int64 = 0) async throws
        -> [String: BucketChecksum]
    {
        guard !buckets.isEmpty else { return [:] }
        var result: [String: BucketChecksum] = [:]
        do {
            let rows = try await client.queryIfOpen(
                """
                SELECT bucket_name, (SUM(checksum) % 4294967296)::bigint, COUNT(*)::bigint, bool_or(op = 'CLEAR')
                FROM \(unescaped: s).bucket_data
                WHERE group_id = \(stream) AND bucket_name = ANY(\(buckets)::text[])
                  AND op_id > \(after) AND op_id <= \(upTo)
                GROUP BY bucket_name
                """, logger: logger)
            for try await (bucket, sum, count, clear) in rows.decode((String, Int64, Int64, Bool).self) {
                result[bucket] = BucketChecksum(
                    bucket: bucket, checksum: OpChecksum.reduce(sum), count: Int(count), hasClear: clear)
            }
        } catch {
            throw BucketStorageError.query("compute bucket checksums", error)
        }
        return result
    }

    /// Ops of each bucket with `after < op_id <= upTo`, in op-id order, at most `limit` per bucket.
    /// `positions` maps bucket name → `after`.
    public func ops(stream: Int, positions: [String: Int64], upTo: Int64, limit: Int = 1000) async throws
        -> [BucketOps]
    {
        guard !positions.isEmpty else { return [] }
        let names = positions.keys.sorted()
        let afters = names.map { positions[$0]! }
        let byBucket: [String: [BucketOp]]
        do {
            // Rows are decoded as they arrive, while the connection is leased.
            byBucket = try await client.withRows(
                """
                SELECT b.name, d.op_id, d.op, d.table_name, d.row_id, d.source_table, d.source_key, d.data,
                  d.checksum, d.target_op
                FROM unnest(\(names)::text[], \(afters)::bigint[]) AS b(name, after)
                CROSS JOIN LATERAL (
                  SELECT op_id, op, table_name, row_id, source_table, source_key, data, checksum, target_op
                  FROM \(unescaped: s).bucket_data
                  WHERE group_id = \(stream) AND bucket_name = b.name AND op_id > b.after AND op_id <= \(upTo)
                  ORDER BY op_id LIMIT \(limit + 1)) d
                ORDER BY b.name, d.op_id
                """, logger: logger
            ) { rows in
                var byBucket: [String: [BucketOp]] = [:]
                // Cell by cell: a download decodes every op, and a ten-element tuple decode costs a generic metadata
                // lookup per row.
                for try await row in rows {
                    var cells = row.makeIterator()
                    func next() throws -> PostgresCell {
                        guard let cell = cells.next() else { throw BucketStorageError.malformedRow }
                        return cell
                    }
                    let bucket = try next().decode(String.self)
                    let opID = try next().decode(Int64.self)
                    let type = OpType(rawValue: try next().decode(String.self)) ?? .put
                    let objectType = try next().decode(String?.self)
                    let objectID = try next().decode(String?.self)
                    let table = try next().decode(String?.self)
                    let key = try next().decode(String?.self)
                    let data = try next().decode(String?.self)
                    let checksum = try next().decode(Int64.self)
                    let targetOp = try next().decode(Int64?.self)
                    let subkey: String? =
                        if let table, let key { Subkey.make(sourceTable: table, sourceKey: key) } else { nil }
                    byBucket[bucket, default: []].append(
                        BucketOp(
                            opID: opID, op: type, objectType: objectType, objectID: objectID, subkey: subkey,
                            data: data, checksum: UInt32(truncatingIfNeeded: checksum), targetOp: targetOp))
                }
                return byBucket
            }
        } catch {
            throw BucketStorageError.query("read bucket ops", error)
        }
        return names.compactMap { name in
            guard var ops = byBucket[name] else { return nil }
            let hasMore = ops.count > limit
            if hasMore { ops.removeLast(ops.count - limit) }
            return BucketOps(bucket: name, ops: ops, hasMore: hasMore)
        }
    }

    /// Parameter-index rows for each lookup as of checkpoint `at`: the newest entry per source row with
    /// `id <= at`, tombstones (`[]`) dropped; feed the result to `BucketQuerier.resolveBuckets(lookupResults:)`.
    public func parameterResults(stream: Int, lookups: [ParameterLookup], at checkpoint: Int64) async throws
        -> [ParameterLookup: [SQLiteRow]]
    {
        guard !lookups.isEmpty else { return [:] }
        var byKey: [String: ParameterLookup] = [:]
        for lookup in lookups { byKey[lookup.serializedKey] = lookup }
        let keys = Array(byKey.keys)
        var result: [ParameterLookup: [SQLiteRow]] = [:]
        do {
            let rows = try await client.queryIfOpen(
                """
                SELECT lookup, bucket_parameters FROM (
                  SELECT DISTINCT ON (lookup, source_table, source_key) lookup, bucket_parameters
                  FROM \(unescaped: s).bucket_parameters
                  WHERE group_id = \(stream) AND lookup = ANY(\(keys)::text[]) AND id <= \(checkpoint)
                  ORDER BY lookup, source_table, source_key, id DESC) latest
                WHERE bucket_parameters <> '[]'
                """, logger: logger)
            for try await (key, parameters) in rows.decode((String, String).self) {
                guard let lookup = byKey[key], case .array(let items)? = try? JSONValue.parse(parameters) else {
                    continue
                }
                for case .object(let members) in items {
                    result[lookup, default: []].append(
                        SQLiteRow(members.map { SQLiteColumn(name: $0.key, value: SQLiteValue(json: $0.value)) }))
                }
            }
        } catch {
            throw BucketStorageError.query("read the parameter index", error)
        }
        return result
    }
}
