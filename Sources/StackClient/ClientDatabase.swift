import CStackSQLite
import Foundation
import GRDB
import GRDBSQLite
import StackConfig
import StackCore

/// One device's SQLite file: internal sync tables, the app schema's views/triggers, and local-only tables.
public final class ClientDatabase: Sendable {
    /// The GRDB connection queue (one writer; reads are serialised too, which is fine for a device).
    public let queue: DatabaseQueue
    /// The client layout of the app schema.
    public let schema: ClientSchema
    /// Fires after each `write(_:)` commits (wakes the upload loop of a `watch` in this process).
    public let localWrites = LocalWriteSignal()

    /// Opens (creating if needed) the database at `path` and installs the schema.
    public init(path: String, schema: AppSchema) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // WAL lets a CLI `ls` read while a `sync --watch` process writes.
            if !db.configuration.readonly {
                // 16 KB pages for a new file (an existing one keeps its size): a download writes every byte to the
                // WAL and again to the database file, and rows of tens of KB span fewer overflow pages. A 138k-row
                // initial sync with the seed's large documents took 3.9 s with 4 KB pages and 3.0 s with these.
                try db.execute(sql: "PRAGMA page_size = 16384")
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                // Each checkpoint waits for two fsyncs: with SQLite's default (every 4 MB of WAL, in the committing
                // writer) a download spent more time waiting for the disk than writing. Every 32 MB of WAL instead,
                // on another thread, and the WAL restarts from its beginning once it holds 64 MB. The file is cut back to
                // 128 MB when it restarts, above that size, so a download keeps writing over the same blocks.
                try BackgroundCheckpointer.install(on: db, path: path)
                try db.execute(sql: "PRAGMA journal_size_limit = 134217728")
            }
            // A download sorts and copies whole tables at a checkpoint: keep its temporary tables and more pages in
            // memory (SQLite's default cache is 2 MB), and read the database file through a memory map rather than
            // a system call per page (up to 1 GB of address space; the WAL is still read with calls).
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            try db.execute(sql: "PRAGMA cache_size = -16384")
            try db.execute(sql: "PRAGMA mmap_size = 1073741824")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        queue = try DatabaseQueue(path: path, configuration: configuration)
        self.schema = ClientSchema(schema)
        try Self.migrator.migrate(queue)
        try queue.write { db in try self.installSchema(db) }
    }

    /// Turns off SQLite's memory statistics for the whole process; call it before any database is opened (after that,
    /// SQLite refuses and this returns false).
    ///
    /// SQLite counts every allocation under one process-wide mutex unless told not to: about 9% of the client's user
    /// CPU in a 138k-row initial sync (1.61–1.79 s instead of 1.71–2.11 s, 4 alternating runs). Nothing in stack reads
    /// the counts.
    @discardableResult
    public static func disableMemoryStatistics() -> Bool {
        stack_sqlite_disable_memstatus() == SQLITE_OK
    }

    /// Runs `updates` in one write transaction with a fresh CRUD transaction id, so every `ps_crud` entry it
    /// produces shares one `tx_id`.
    public func write<T>(_ updates: (Database) throws -> T) throws -> T {
        let result = try queue.write { db in
            try db.execute(sql: "UPDATE ps_tx SET current_tx = next_tx, next_tx = next_tx + 1 WHERE id = 1")
            return try updates(db)
        }
        localWrites.signal()
        return result
    }

    /// Runs `updates` in one write transaction of downloaded sync data, committed without waiting for the disk.
    ///
    /// With WAL, `synchronous = NORMAL` keeps every commit atomic through a crash or kill; only a power loss can
    /// undo the last commits, and those (ops, positions, applied checkpoints) are downloaded again. Local writes,
    /// which nothing could restore, keep the connection's setting (SQLite's default: full).
    public func writeDownloaded<T>(_ updates: (Database) throws -> T) throws -> T {
        try queue.writeWithoutTransaction { db in
            let previous = try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? 2
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            defer { try? db.execute(sql: "PRAGMA synchronous = \(previous)") }
            var result: T?
            try db.inTransaction {
                result = try updates(db)
                return .commit
            }
            return result!
        }
    }

    /// Runs `reads` on the database.
    public func read<T>(_ reads: (Database) throws -> T) throws -> T {
        try queue.read(reads)
    }

    /// This device's stable client id (generated at creation).
    public func clientID() throws -> String {
        try read { db in try Self.kv(db, ClientKV.clientID) } ?? ""
    }

    /// Reads a `ps_kv` value as text.
    public static func kv(_ db: Database, _ key: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT CAST(value AS TEXT) FROM ps_kv WHERE key = ?", arguments: [key])
    }

    /// Writes (or with nil deletes) a `ps_kv` value.
    public static func setKV(_ db: Database, _ key: String, _ value: (any DatabaseValueConvertible)?) throws {
        if let value {
            try db.execute(sql: "INSERT OR REPLACE INTO ps_kv(key, value) VALUES (?, ?)", arguments: [key, value])
        } else {
            try db.execute(sql: "DELETE FROM ps_kv WHERE key = ?", arguments: [key])
        }
    }

    private func installSchema(_ db: Database) throws {
        var existing: [String: Set<String>] = [:]
        for table in schema.app.tables where table.localOnly {
            let columns = try Row.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?)", arguments: [table.name])
            if !columns.isEmpty { existing[table.name] = Set(columns.map { $0["name"] as String }) }
        }
        for statement in schema.installStatements(existingLocalColumns: existing) {
            try db.execute(sql: statement)
        }
    }

    /// The internal tables, as numbered migrations that never change once released.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("1_sync_tables") { db in
            try db.execute(
                sql: """
                    CREATE TABLE ps_buckets(
                      id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
                      last_applied_op INTEGER NOT NULL DEFAULT 0, last_op INTEGER NOT NULL DEFAULT 0,
                      add_checksum INTEGER NOT NULL DEFAULT 0, op_checksum INTEGER NOT NULL DEFAULT 0,
                      count_at_last INTEGER NOT NULL DEFAULT 0, count_since_last INTEGER NOT NULL DEFAULT 0,
                      priority INTEGER NOT NULL DEFAULT 3);
                    CREATE TABLE ps_oplog(
                      bucket INTEGER NOT NULL, op_id INTEGER NOT NULL, row_type TEXT NOT NULL, row_id TEXT NOT NULL,
                      key TEXT NOT NULL, data TEXT, hash INTEGER NOT NULL);
                    CREATE INDEX ps_oplog_row ON ps_oplog(row_type, row_id, op_id);
                    CREATE INDEX ps_oplog_bucket_op ON ps_oplog(bucket, op_id);
                    CREATE INDEX ps_oplog_bucket_key ON ps_oplog(bucket, key);
                    CREATE TABLE ps_updated_rows(row_type TEXT NOT NULL, row_id TEXT NOT NULL,
                      PRIMARY KEY(row_type, row_id)) WITHOUT ROWID;
                    CREATE TABLE ps_untyped(type TEXT NOT NULL, id TEXT NOT NULL, data TEXT, PRIMARY KEY(type, id));
                    CREATE TABLE ps_crud(id INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL, tx_id INTEGER);
                    CREATE TABLE ps_tx(id INTEGER PRIMARY KEY, current_tx INTEGER NOT NULL, next_tx INTEGER NOT NULL);
                    INSERT INTO ps_tx(id, current_tx, next_tx) VALUES (1, 0, 1);
                    CREATE TABLE ps_kv(key TEXT PRIMARY KEY NOT NULL, value);
                    CREATE TABLE ps_sync_state(priority INTEGER PRIMARY KEY, last_synced_at TEXT NOT NULL);
                    CREATE TABLE ps_rejected(
                      id INTEGER PRIMARY KEY AUTOINCREMENT, op_id TEXT NOT NULL, op_index INTEGER,
                      status INTEGER NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL, crud TEXT NOT NULL,
                      created_at TEXT NOT NULL);
                    """)
            try setKV(db, ClientKV.clientID, UUID().uuidString.lowercased())
        }
        migrator.registerMigration("2_download_stats") { db in
            // Keyed by bucket name, so the counts survive the bucket being dropped and downloaded again.
            try db.execute(
                sql: """
                    CREATE TABLE ps_download_stats(
                      bucket TEXT PRIMARY KEY NOT NULL, ops INTEGER NOT NULL DEFAULT 0,
                      checksum_failures INTEGER NOT NULL DEFAULT 0)
                    """)
        }
        migrator.registerMigration("3_oplog_without_key_index") { db in
            // Superseding finds a key's ops through the row index (the key starts with the row's type and id), so
            // this third index only cost time on every stored op.
            try db.execute(sql: "DROP INDEX IF EXISTS ps_oplog_bucket_key")
        }
        return migrator
    }
}
