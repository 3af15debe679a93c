import GRDB
import GRDBSQLite
import StackCore
import StackProtocol

extension SyncStorage {
    /// Stores a chunk of ops (PowerSync's client rules: live PUTs kept, superseded hashes moved to `add_checksum`).
    ///
    /// Only the last op per key in the chunk can stay live, so earlier ones go straight to `add_checksum`; stored
    /// ops with the chunk's keys are superseded, and the survivors are inserted with one prepared statement bound
    /// straight from the decoded strings. Stored keys are looked up only when the bucket holds ops at all, and in a
    /// bucket this storage has filled from empty only for keys its `StoredKeyIndex` may hold.
    public func applyData(_ batch: SyncDataBatch) throws {
        try applyData([batch])
    }

    /// Stores several chunks in one transaction, in order.
    public func applyData(_ batches: [SyncDataBatch]) throws {
        try database.writeDownloaded { db in
            for batch in batches { try Self.store(batch, db, index: storedKeys) }
        }
    }

    static func store(_ batch: SyncDataBatch, _ db: Database, index: StoredKeyIndex?) throws {
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO ps_buckets(name) VALUES (?)").execute(arguments: [
            batch.bucket
        ])
        let bucket = try Row.fetchOne(
            db.cachedStatement(
                sql: "SELECT id, last_applied_op, add_checksum, op_checksum FROM ps_buckets WHERE name = ?"),
            arguments: [batch.bucket])!
        let bucketID: Int64 = bucket["id"]
        var lastApplied: Int64 = bucket["last_applied_op"]
        var add = Checksum(UInt32(truncatingIfNeeded: bucket["add_checksum"] as Int64))
        var live = Checksum(UInt32(truncatingIfNeeded: bucket["op_checksum"] as Int64))
        var known = index?.take(batch.bucket, state: StoredKeyIndex.State(bucketID: bucketID, add: add, live: live))
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
            if index != nil { known = StoredKeyIndex.Keys() }
        }
        var keys = [String?](repeating: nil, count: batch.data.count)
        var lastIndexByKey: [String: Int] = [:]
        lastIndexByKey.reserveCapacity(entries.count)
        for index in entries.indices where entries[index].op == .put || entries[index].op == .remove {
            let entry = entries[index]
            let key = (entry.objectType ?? "") + "/" + (entry.objectID ?? "") + "/" + (entry.subkey ?? "null")
            keys[index] = key
            lastIndexByKey[key] = index
        }
        if let tracked = known {
            let candidates = lastIndexByKey.filter { tracked.mayContain($0.key) }
            if !candidates.isEmpty {
                try supersede(db, bucketID: bucketID, keys: candidates, entries: batch.data, add: &add, live: &live)
            }
        } else if !lastIndexByKey.isEmpty {
            let holdsOps = try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS(SELECT 1 FROM ps_oplog WHERE bucket = ?)"), arguments: [bucketID]
            )
            if holdsOps == true {
                try supersede(db, bucketID: bucketID, keys: lastIndexByKey, entries: batch.data, add: &add, live: &live)
            } else if index != nil {
                known = StoredKeyIndex.Keys()  // an empty bucket: track what goes in from here
            }
        }
        let insert = try RawStatement(
            db,
            "INSERT INTO ps_oplog(bucket, op_id, row_type, row_id, key, data, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        )
        defer { insert.finalize() }
        var lastOp: Int64 = 0
        for index in entries.indices {
            let entry = entries[index]
            lastOp = max(lastOp, entry.opID.value)
            guard let key = keys[index] else {
                add += entry.checksum  // MOVE, CLEAR
                continue
            }
            guard lastIndexByKey[key] == index else {
                add += entry.checksum  // superseded later in this chunk
                continue
            }
            if entry.op == .put {
                live += entry.checksum
                known?.insert(key)
                insert.bind(bucketID, at: 1)
                insert.bind(entry.opID.value, at: 2)
                insert.bind(Int64(entry.checksum.value), at: 7)
                try insert.withText(entry.objectType ?? "", at: 3) {
                    try insert.withText(entry.objectID ?? "", at: 4) {
                        try insert.withText(key, at: 5) {
                            try insert.withText(entry.data, at: 6) { try insert.run() }
                        }
                    }
                }
            } else {
                add += entry.checksum
                // Before a bucket was ever applied its rows are not in the tables yet: nothing to undo.
                if lastApplied > 0 {
                    try markUpdated.execute(arguments: [entry.objectType ?? "", entry.objectID ?? ""])
                }
            }
        }
        lastOp = max(lastOp, batch.data.last?.opID.value ?? 0)
        try db.cachedStatement(
            sql: """
                UPDATE ps_buckets SET add_checksum = ?, op_checksum = ?, last_applied_op = ?,
                  last_op = max(last_op, ?), count_since_last = count_since_last + ? WHERE id = ?
                """
        ).execute(arguments: [Int64(add.value), Int64(live.value), lastApplied, lastOp, batch.data.count, bucketID])
        // A bucket row with both checksums zero is what a new row looks like: never trusted as "left by us".
        if let index, add != .zero || live != .zero {
            index.update(
                batch.bucket, state: StoredKeyIndex.State(bucketID: bucketID, add: add, live: live), keys: known)
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO ps_download_stats(bucket, ops) VALUES (?, ?)
                  ON CONFLICT(bucket) DO UPDATE SET ops = ops + excluded.ops
                """
        ).execute(arguments: [batch.bucket, batch.data.count])
    }

    /// Removes the bucket's stored ops that have one of `keys`, moving their hashes from live to `add`.
    ///
    /// Looked up through the row index (a key's ops are ops of its row), so the oplog needs no index on keys: a
    /// row is in few buckets of one device, and the download skips the lookups while the bucket is empty.
    private static func supersede(
        _ db: Database, bucketID: Int64, keys: [String: Int], entries: [OplogEntry], add: inout Checksum,
        live: inout Checksum
    ) throws {
        // Without statistics SQLite picks the bucket's op index here, scanning the whole bucket per key.
        let probe = try RawStatement(
            db,
            """
            SELECT rowid, hash FROM ps_oplog INDEXED BY ps_oplog_row
              WHERE row_type = ?1 AND row_id = ?2 AND bucket = ?3 AND key = ?4
            """)
        defer { probe.finalize() }
        var superseded: [Int64] = []
        for (key, index) in keys {
            probe.bind(entries[index].objectType ?? "", at: 1)
            probe.bind(entries[index].objectID ?? "", at: 2)
            probe.bind(bucketID, at: 3)
            probe.bind(key, at: 4)
            try probe.run { row in
                superseded.append(sqlite3_column_int64(row, 0))
                let hash = Checksum(UInt32(truncatingIfNeeded: sqlite3_column_int64(row, 1)))
                add += hash
                live -= hash
            }
        }
        guard !superseded.isEmpty else { return }
        let delete = try RawStatement(db, "DELETE FROM ps_oplog WHERE rowid = ?1")
        defer { delete.finalize() }
        for rowid in superseded {
            delete.bind(rowid, at: 1)
            try delete.run()
        }
    }
}
