import Foundation
import GRDB
import StackCore
import StackProtocol

/// Executes the sync engine's database actions: oplog, bucket checksums, and applying checkpoints to tables.
public struct SyncStorage: Sendable {
    /// The device database.
    public let database: ClientDatabase
    /// Keys this storage stored into buckets it filled from empty (see `applyData`).
    let storedKeys = StoredKeyIndex()

    /// How many changed rows an apply lists at most.
    public static let defaultChangeLimit = 1000

    /// How an apply finds the new ops that are not their row's latest op.
    public enum WinnerSearch: Sendable, CaseIterable {
        /// `scan` when the new ops are an eighth of the oplog or more (and at least 5,000), else `lookups`.
        case automatic
        /// Looks up each new op's row in the row index.
        case lookups
        /// Scans the row index once for rows with more than one op.
        case scan
    }

    /// How applies find superseded ops (the choice changes only the speed).
    public var winnerSearch = WinnerSearch.automatic

    /// Creates the executor.
    public init(database: ClientDatabase) {
        self.database = database
    }

    /// Bucket names stored locally.
    public func localBucketNames() throws -> Set<String> {
        try database.read { db in Set(try String.fetchAll(db, sql: "SELECT name FROM ps_buckets")) }
    }

    /// Each stored bucket's op count at the last applied checkpoint and the ops received since.
    public func downloadCounts() throws -> [String: (atLast: Int64, sinceLast: Int64)] {
        try database.read { db in
            var counts: [String: (atLast: Int64, sinceLast: Int64)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, count_at_last, count_since_last FROM ps_buckets") {
                counts[row["name"]] = (row["count_at_last"], row["count_since_last"])
            }
            return counts
        }
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
        try database.writeDownloaded { db in
            for name in names {
                guard
                    let id = try Int64.fetchOne(db, sql: "SELECT id FROM ps_buckets WHERE name = ?", arguments: [name])
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

    /// Validates the checkpoint's checksums and, when the gate allows, applies it to the tables.
    public func syncLocal(_ request: SyncLocalRequest) throws -> SyncLocalResult {
        try syncLocalReportingChanges(request).result
    }

    /// Like `syncLocal(_:)`, also returning the rows that changed in the tables (at most `changeLimit` listed).
    public func syncLocalReportingChanges(_ request: SyncLocalRequest, changeLimit: Int = Self.defaultChangeLimit)
        throws
        -> (result: SyncLocalResult, changes: AppliedChanges)
    {
        try database.writeDownloaded { db in
            var mismatched: [String] = []
            for bucket in request.buckets {
                let row = try Row.fetchOne(
                    db, sql: "SELECT add_checksum, op_checksum FROM ps_buckets WHERE name = ?",
                    arguments: [bucket.bucket])
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
}

/// Rows a checkpoint apply wrote to the tables.
public struct AppliedChanges: Sendable, Equatable {
    /// How many rows changed in total.
    public var count = 0
    /// The first of them (bounded, for display).
    public var rows: [RowChange] = []
}
