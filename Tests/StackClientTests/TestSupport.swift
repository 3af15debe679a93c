import Foundation
import GRDB
import StackClient
import StackConfig
import StackCore
import StackProtocol

/// A schema with one synced and one local-only table, and fresh database files per test.
enum TestSupport {
    static let schema = AppSchema(tables: [
        TableSchema(
            name: "todos", localOnly: false,
            columns: [
                ColumnSchema(name: "id", type: .text, primaryKey: true, nullable: false, defaultValue: nil),
                ColumnSchema(name: "title", type: .text, primaryKey: false, nullable: true, defaultValue: nil),
                ColumnSchema(name: "done", type: .boolean, primaryKey: false, nullable: true, defaultValue: nil),
                ColumnSchema(name: "n", type: .integer, primaryKey: false, nullable: true, defaultValue: nil),
                ColumnSchema(name: "score", type: .real, primaryKey: false, nullable: true, defaultValue: nil),
            ],
            indexes: [IndexSchema(columns: ["title"], unique: false, name: nil)]),
        TableSchema(
            name: "prefs", localOnly: true,
            columns: [
                ColumnSchema(name: "id", type: .text, primaryKey: true, nullable: false, defaultValue: nil),
                ColumnSchema(name: "value", type: .text, primaryKey: false, nullable: true, defaultValue: nil),
            ],
            indexes: []),
    ])

    static func openDatabase() throws -> ClientDatabase {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stack-client-tests")
        let path = directory.appendingPathComponent(UUID().uuidString + ".db").path
        return try ClientDatabase(path: path, schema: schema)
    }

    /// The todos table as `id → title` (nil title shown as "∅").
    static func titles(_ database: ClientDatabase) throws -> [String: String] {
        try database.read { db in
            var result: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, title FROM todos") {
                result[row["id"]] = (row["title"] as String?) ?? "∅"
            }
            return result
        }
    }

    static func crud(_ database: ClientDatabase) throws -> [String] {
        try database.read { db in try String.fetchAll(db, sql: "SELECT data FROM ps_crud ORDER BY id") }
    }

    static func put(_ op: OpID, _ id: String, title: String, subkey: String = "s") -> OplogEntry {
        OplogEntry.put(
            opID: op, objectType: "todos", objectID: id, data: #"{"id":"\#(id)","title":"\#(title)"}"#, subkey: subkey)
    }

    static func bucket(_ name: String, _ entries: [OplogEntry], priority: Int = 3) -> BucketChecksum {
        BucketChecksum(
            bucket: name, checksum: Checksum.sum(entries.map(\.checksum)), count: Int64(entries.count),
            priority: priority)
    }

    static func batch(_ bucket: String, _ entries: [OplogEntry], after: OpID = 0) -> SyncDataBatch {
        SyncDataBatch(
            bucket: bucket, after: after, nextAfter: entries.last?.opID ?? after, hasMore: false, data: entries)
    }
}
