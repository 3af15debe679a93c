import Foundation
import GRDB
import StackCore
import StackProtocol

/// Executes the sync engine's database actions: oplog, bucket checksums, and applying checkpoints to tables.
public struct SyncStorage: Sendable {
    /// The device database.
    public let database: ClientDatabase

    /// How many changed rows an apply lists at most.
    public static let defaultChangeLimit = 1000

    /// Creates the executor.
    public init(database: ClientDatabase) {
        self.database = database
    }

    /// Bucket names stored locally.
    public func localBucketNames() throws -> Set<String> {
        try database.read { db in Set(try String.fetchAll(db, sql: "SELECT name FROM ps_buckets")) }
    }

    /// The `{name, after}` positions for the next sync request.
    public func bucketPositions() throws -> [BucketRequest] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT name, last_op FROM ps_buckets ORDER BY name").map {
                BucketRequest(name: $0["name"], after: OpID($0["last_op"] as Int64))
            }
        }
    }

    /// Deletes buckets and their ops; rows they held are marked for re-evaluation.
    public func deleteBuckets(_ names: [String]) throws {
        try database.queue.write { db in
            for name in names {
                guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM ps_buckets WHERE name = ?", arguments: [name])
                else { continue }
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO ps_updated_rows(row_type, row_id)
                          SELECT row_type, row_id FROM ps_oplog WHERE bucket = ?
                        """, arguments: [id])
                try db.execute(sql: "DELETE FROM ps_oplog WHERE bucket = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM ps_buckets WHERE id = ?", arguments: [id])
            }
        }
    }

    /// Stores a chunk of ops (PowerSync's client rules: live PUTs kept, superseded hashes moved to `add_checksum`).
    ///
    /// Set-based per chunk: only the last op per key can stay live, so earlier ones in the chunk go straight to
    /// `add_checksum`, stored rows with the chunk's keys are superseded in one statement, and the survivors are
    /// inserted in multi-row statements.
    public func applyData(_ batch: SyncDataBatch) throws {
        try database.queue.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO ps_buckets(name) VALUES (?)", arguments: [batch.bucket])
            let bucket = try Row.fetchOne(
                db, sql: "SELECT id, last_applied_op, add_checksum, op_checksum FROM ps_buckets WHERE name = ?",
                arguments: [batch.bucket])!
            let bucketID: Int64 = bucket["id"]
            var lastApplied: Int64 = bucket["last_applied_op"]
            var add = Checksum(UInt32(truncatingIfNeeded: bucket["add_checksum"] as Int64))
            var live = Checksum(UInt32(truncatingIfNeeded: bucket["op_checksum"] as Int64))
            let markUpdated = try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO ps_updated_rows(row_type, row_id) VALUES (?, ?)")
            var entries = batch.data[...]
            // A CLEAR wipes the bucket: what came before it in this chunk only needs its rows re-evaluated.
            if let clear = entries.lastIndex(where: { $0.op == .clear }) {
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO ps_updated_rows(row_type, row_id)
                          SELECT row_type, row_id FROM ps_oplog WHERE bucket = ?
                        """, arguments: [bucketID])
                for entry in entries[..<clear] where entry.op == .put || entry.op == .remove {
                    try markUpdated.execute(arguments: [entry.objectType ?? "", entry.objectID ?? ""])
                }
                try db.execute(sql: "DELETE FROM ps_oplog WHERE bucket = ?", arguments: [bucketID])
                add = entries[clear].checksum
                live = .zero
                lastApplied = 0
                entries = entries[(clear + 1)...]
            }
            func key(_ entry: OplogEntry) -> String {
                (entry.objectType ?? "") + "/" + (entry.objectID ?? "") + "/" + (entry.subkey ?? "null")
            }
            var lastIndexByKey: [String: Int] = [:]
            for index in entries.indices where entries[index].op == .put || entries[index].op == .remove {
                lastIndexByKey[key(entries[index])] = index
            }
            if !lastIndexByKey.isEmpty,
                try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM ps_oplog WHERE bucket = ?)", arguments: [bucketID])
                    == true
            {
                let keys = String(decoding: try JSONEncoder().encode(Array(lastIndexByKey.keys)), as: UTF8.self)
                let keyFilter = "bucket = ? AND key IN (SELECT value FROM json_each(?))"
                for hash in try Int64.fetchAll(db, sql: "SELECT hash FROM ps_oplog WHERE \(keyFilter)", arguments: [bucketID, keys]) {
                    add += Checksum(UInt32(truncatingIfNeeded: hash))
                    live -= Checksum(UInt32(truncatingIfNeeded: hash))
                }
                try db.execute(sql: "DELETE FROM ps_oplog WHERE \(keyFilter)", arguments: [bucketID, keys])
            }
            var puts: [OplogEntry] = []
            var lastOp: Int64 = 0
            for index in entries.indices {
                let entry = entries[index]
                lastOp = max(lastOp, entry.opID.value)
                switch entry.op {
                case .put, .remove:
                    guard lastIndexByKey[key(entry)] == index else {
                        add += entry.checksum  // superseded later in this chunk
                        continue
                    }
                    if entry.op == .put {
                        puts.append(entry)
                        live += entry.checksum
                    } else {
                        add += entry.checksum
                        // Before a bucket was ever applied its rows are not in the tables yet: nothing to undo.
                        if lastApplied > 0 {
                            try markUpdated.execute(arguments: [entry.objectType ?? "", entry.objectID ?? ""])
                        }
                    }
                case .move, .clear:
                    add += entry.checksum
                }
            }
            try Self.insert(db, puts, bucketID: bucketID, key: key)
            lastOp = max(lastOp, batch.data.last?.opID.value ?? 0)
            try db.execute(
                sql: """
                    UPDATE ps_buckets SET add_checksum = ?, op_checksum = ?, last_applied_op = ?,
                      last_op = max(last_op, ?), count_since_last = count_since_last + ? WHERE id = ?
                    """,
                arguments: [Int64(add.value), Int64(live.value), lastApplied, lastOp, batch.data.count, bucketID])
            try db.execute(
                sql: """
                    INSERT INTO ps_download_stats(bucket, ops) VALUES (?, ?)
                      ON CONFLICT(bucket) DO UPDATE SET ops = ops + excluded.ops
                    """, arguments: [batch.bucket, batch.data.count])
        }
    }

    // Rows per multi-row INSERT into ps_oplog (7 binds each, well under SQLite's 32,766 limit).
    private static let insertRows = 256

    private static func insert(_ db: Database, _ puts: [OplogEntry], bucketID: Int64, key: (OplogEntry) -> String)
        throws
    {
        var start = 0
        while start < puts.count {
            let chunk = puts[start..<min(start + insertRows, puts.count)]
            let values = Array(repeating: "(?, ?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", ")
            let statement = try db.cachedStatement(
                sql: "INSERT INTO ps_oplog(bucket, op_id, row_type, row_id, key, data, hash) VALUES \(values)")
            var arguments: [(any DatabaseValueConvertible)?] = []
            arguments.reserveCapacity(chunk.count * 7)
            for entry in chunk {
                arguments += [
                    bucketID, entry.opID.value, entry.objectType ?? "", entry.objectID ?? "", key(entry), entry.data,
                    Int64(entry.checksum.value),
                ]
            }
            try statement.execute(arguments: StatementArguments(arguments))
            start += insertRows
        }
    }

    /// Validates the checkpoint's checksums and, when the gate allows, applies it to the tables.
    public func syncLocal(_ request: SyncLocalRequest) throws -> SyncLocalResult {
        try syncLocalReportingChanges(request).result
    }

    /// Like `syncLocal(_:)`, also returning the rows that changed in the tables (at most `changeLimit` listed).
    public func syncLocalReportingChanges(_ request: SyncLocalRequest, changeLimit: Int = Self.defaultChangeLimit) throws
        -> (result: SyncLocalResult, changes: AppliedChanges)
    {
        try database.queue.write { db in
            var mismatched: [String] = []
            for bucket in request.buckets {
                let row = try Row.fetchOne(
                    db, sql: "SELECT add_checksum, op_checksum FROM ps_buckets WHERE name = ?", arguments: [bucket.bucket])
                let add = UInt32(truncatingIfNeeded: row?["add_checksum"] as Int64? ?? 0)
                let live = UInt32(truncatingIfNeeded: row?["op_checksum"] as Int64? ?? 0)
                if Checksum(add) + Checksum(live) != bucket.checksum { mismatched.append(bucket.bucket) }
            }
            if !mismatched.isEmpty {
                try Self.recordMismatch(db, mismatched)
                return (.checksumMismatch(mismatched), AppliedChanges())
            }
            for bucket in request.buckets {
                try db.execute(
                    sql: """
                        INSERT INTO ps_buckets(name, last_op, priority, count_at_last) VALUES (?, ?, ?, ?)
                          ON CONFLICT(name) DO UPDATE SET last_op = excluded.last_op, priority = excluded.priority,
                            count_at_last = excluded.count_at_last
                        """, arguments: [bucket.bucket, request.lastOpID.value, bucket.priority, bucket.count])
            }
            if request.priority == nil, let writeCheckpoint = request.writeCheckpoint {
                try ClientDatabase.setKV(db, ClientKV.lastSeenWriteCheckpoint, writeCheckpoint.value)
            }
            if !request.bypassesUploadGate, try !Self.canApply(db) { return (.deferred, AppliedChanges()) }
            let changes = try apply(db, request, changeLimit: changeLimit)
            return (.applied, changes)
        }
    }

    // Kept for `status`: which buckets failed validation last, and how often each has.
    static func recordMismatch(_ db: Database, _ buckets: [String]) throws {
        try ClientDatabase.setKV(db, ClientKV.lastChecksumMismatch, buckets.joined(separator: ","))
        try ClientDatabase.setKV(db, ClientKV.lastChecksumMismatchAt, ISO8601DateFormatter().string(from: Date()))
        for bucket in buckets {
            try db.execute(
                sql: """
                    INSERT INTO ps_download_stats(bucket, checksum_failures) VALUES (?, 1)
                      ON CONFLICT(bucket) DO UPDATE SET checksum_failures = checksum_failures + 1
                    """, arguments: [bucket])
        }
    }

    /// The apply gate: no pending uploads, and the requested write checkpoint has come back.
    static func canApply(_ db: Database) throws -> Bool {
        if try CrudQueue.count(db) > 0 { return false }
        let target = Int64(try ClientDatabase.kv(db, ClientKV.targetWriteCheckpoint) ?? "0") ?? 0
        let seen = Int64(try ClientDatabase.kv(db, ClientKV.lastSeenWriteCheckpoint) ?? "0") ?? 0
        return target <= seen
    }

    private func apply(_ db: Database, _ request: SyncLocalRequest, changeLimit: Int) throws -> AppliedChanges {
        let names = request.buckets.map(\.bucket)
        let placeholders = databaseQuestionMarks(count: names.count)
        try db.execute(
            sql: """
                CREATE TEMP TABLE IF NOT EXISTS ps_apply_rows(row_type TEXT NOT NULL, row_id TEXT NOT NULL, data TEXT,
                  PRIMARY KEY(row_type, row_id)) WITHOUT ROWID
                """)
        try db.execute(sql: "DELETE FROM ps_apply_rows")
        // Rows touched by ops not yet applied, plus (full sync only) rows marked for re-evaluation.
        var touched = """
            SELECT o.row_type, o.row_id FROM ps_buckets b JOIN ps_oplog o ON o.bucket = b.id
              WHERE b.name IN (\(placeholders)) AND o.op_id > b.last_applied_op
            """
        if request.priority == nil { touched += " UNION SELECT row_type, row_id FROM ps_updated_rows" }
        // The winning version of a row is its PUT with the highest op id across all buckets; none ⇒ delete.
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO ps_apply_rows(row_type, row_id, data)
                  SELECT t.row_type, t.row_id,
                    (SELECT data FROM ps_oplog o2 WHERE o2.row_type = t.row_type AND o2.row_id = t.row_id
                      ORDER BY o2.op_id DESC LIMIT 1)
                  FROM (\(touched)) AS t
                """, arguments: StatementArguments(names))
        let known = database.schema.syncedTableNames
        let changed = try collectChanges(db, tables: known, limit: changeLimit)
        for table in known {
            let data = "\"" + ClientSchema.dataTable(table) + "\""
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO \(data)(id, data)
                      SELECT row_id, data FROM ps_apply_rows WHERE row_type = ? AND data IS NOT NULL
                    """, arguments: [table])
            try db.execute(
                sql: """
                    DELETE FROM \(data) WHERE id IN
                      (SELECT row_id FROM ps_apply_rows WHERE row_type = ? AND data IS NULL)
                    """, arguments: [table])
        }
        let knownList = databaseQuestionMarks(count: known.count)
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO ps_untyped(type, id, data)
                  SELECT row_type, row_id, data FROM ps_apply_rows
                  WHERE data IS NOT NULL AND row_type NOT IN (\(knownList.isEmpty ? "''" : knownList))
                """, arguments: StatementArguments(known))
        try db.execute(
            sql: """
                DELETE FROM ps_untyped WHERE (type, id) IN
                  (SELECT row_type, row_id FROM ps_apply_rows WHERE data IS NULL)
                """)
        try db.execute(
            sql: "UPDATE ps_buckets SET last_applied_op = last_op WHERE name IN (\(placeholders))",
            arguments: StatementArguments(names))
        let now = ISO8601DateFormatter().string(from: Date())
        if request.priority == nil {
            try db.execute(sql: "DELETE FROM ps_updated_rows")
            try db.execute(sql: "UPDATE ps_buckets SET count_since_last = 0")
            try db.execute(sql: "DELETE FROM ps_sync_state")
            try db.execute(sql: "INSERT INTO ps_sync_state(priority, last_synced_at) VALUES (?, ?)", arguments: [Int32.max, now])
        } else if let priority = request.priority {
            try db.execute(sql: "DELETE FROM ps_sync_state WHERE priority <= ?", arguments: [priority])
            try db.execute(
                sql: "INSERT INTO ps_sync_state(priority, last_synced_at) VALUES (?, ?)", arguments: [priority, now])
        }
        var changes = AppliedChanges()
        changes.count = try Int.fetchOne(db, sql: "SELECT count(*) FROM ps_apply_rows") ?? 0
        changes.rows = changed
        try db.execute(sql: "DELETE FROM ps_apply_rows")
        return changes
    }

    /// The first `limit` rows of `ps_apply_rows` that differ from the tables, compared column by column (rows
    /// whose data comes back unchanged, like the device's own uploaded edits, are left out).
    private func collectChanges(_ db: Database, tables: [String], limit: Int) throws -> [RowChange] {
        var changes: [RowChange] = []
        for table in tables where changes.count < limit {
            let data = "\"" + ClientSchema.dataTable(table) + "\""
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT a.row_id, a.data AS new, d.data AS old FROM ps_apply_rows a
                      LEFT JOIN \(data) d ON d.id = a.row_id
                      WHERE a.row_type = ? AND a.data IS NOT d.data LIMIT ?
                    """, arguments: [table, limit - changes.count])
            for row in rows {
                if let change = RowChange(table: table, id: row["row_id"], old: row["old"], new: row["new"]) {
                    changes.append(change)
                }
            }
        }
        return changes
    }
}

/// Rows a checkpoint apply wrote to the tables.
public struct AppliedChanges: Sendable, Equatable {
    /// How many rows changed in total.
    public var count = 0
    /// The first of them (bounded, for display).
    public var rows: [RowChange] = []
}


