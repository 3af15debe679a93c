import Foundation
import GRDB
import StackClient
import StackConfig
import Testing

/// `nullable: false` columns are refused NULL on the device at once (the server would reject the upload later).
@Suite struct RequiredColumnTests {
    static let schema = AppSchema(tables: [
        TableSchema(
            name: "documents", localOnly: false,
            columns: [
                ColumnSchema(name: "id", type: .text, primaryKey: true, nullable: false, defaultValue: nil),
                ColumnSchema(name: "title", type: .text, primaryKey: false, nullable: true, defaultValue: nil),
                ColumnSchema(name: "content", type: .text, primaryKey: false, nullable: false, defaultValue: nil),
                ColumnSchema(
                    name: "pinned", type: .boolean, primaryKey: false, nullable: false, defaultValue: .boolean(false)),
                ColumnSchema(name: "owner_id", type: .text, primaryKey: false, nullable: false, defaultValue: nil),
            ],
            indexes: [])
    ])

    static func open() throws -> ClientDatabase {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stack-client-tests")
        return try ClientDatabase(
            path: directory.appendingPathComponent(UUID().uuidString + ".db").path, schema: schema)
    }

    static func refusal(_ database: ClientDatabase, _ sql: String) -> String? {
        do {
            try database.write { db in try db.execute(sql: sql) }
            return nil
        } catch let error as DatabaseError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    static func crudCount(_ database: ClientDatabase) throws -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM ps_crud") ?? 0 }
    }

    @Test func insertWithoutARequiredColumnIsRefusedNamingIt() throws {
        let database = try Self.open()
        let missing = Self.refusal(database, "INSERT INTO documents(id, title) VALUES ('a', 'x')")
        #expect(
            missing?.hasPrefix("documents.content needs a value: the config's schema declares it nullable: false")
                == true, "\(missing ?? "accepted")")
        let explicitNull = Self.refusal(database, "INSERT INTO documents(id, content) VALUES ('a', NULL)")
        #expect(explicitNull?.hasPrefix("documents.content needs a value") == true)
        // One row of a multi-row insert refused: none is written (ABORT undoes the statement).
        let mixed = Self.refusal(database, "INSERT INTO documents(id, content) VALUES ('b', 'ok'), ('c', NULL)")
        #expect(mixed != nil)
        #expect(try database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM documents") } == 0)
        #expect(try Self.crudCount(database) == 0)
    }

    /// A column with a default may be left out (a PUT omits NULLs and Postgres fills the default); `owner_id` is the
    /// upload API's to fill.
    @Test func columnsWithADefaultAndOwnerMayBeLeftOut() throws {
        let database = try Self.open()
        #expect(Self.refusal(database, "INSERT INTO documents(id, content) VALUES ('a', 'body')") == nil)
        let put = try database.read { try String.fetchOne($0, sql: "SELECT data FROM ps_crud") }
        #expect(put == #"{"op":"PUT","type":"documents","id":"a","data":{"content":"body"}}"#)
        // Updating another column while the defaulted one is still NULL locally is fine.
        #expect(Self.refusal(database, "UPDATE documents SET title = 't' WHERE id = 'a'") == nil)
        #expect(try Self.crudCount(database) == 2)
    }

    @Test func settingARequiredColumnToNullIsRefused() throws {
        let database = try Self.open()
        #expect(Self.refusal(database, "INSERT INTO documents(id, content, pinned) VALUES ('a', 'body', 1)") == nil)
        let content = Self.refusal(database, "UPDATE documents SET content = NULL WHERE id = 'a'")
        #expect(content?.hasPrefix("documents.content cannot be set to NULL") == true, "\(content ?? "accepted")")
        let pinned = Self.refusal(database, "UPDATE documents SET pinned = NULL WHERE id = 'a'")
        #expect(pinned?.hasPrefix("documents.pinned cannot be set to NULL") == true, "\(pinned ?? "accepted")")
        #expect(Self.refusal(database, "UPDATE documents SET content = 'new', pinned = 0 WHERE id = 'a'") == nil)
        #expect(try Self.crudCount(database) == 2)
        let row = try database.read { try Row.fetchOne($0, sql: "SELECT content, pinned FROM documents")! }
        #expect(row["content"] as String == "new" && row["pinned"] as Int == 0)
    }
}
