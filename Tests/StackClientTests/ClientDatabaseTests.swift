import Foundation
import GRDB
import StackClient
import StackCore
import Testing

@Suite struct ClientDatabaseTests {
    @Test func insertQueuesAPutWithoutNulls() throws {
        let database = try TestSupport.openDatabase()
        try database.write { db in
            try db.execute(sql: "INSERT INTO todos(id, title, done, n) VALUES ('a', 'Hello', 1, NULL)")
        }
        #expect(try TestSupport.titles(database) == ["a": "Hello"])
        #expect(
            try TestSupport.crud(database) == [
                #"{"op":"PUT","type":"todos","id":"a","data":{"title":"Hello","done":1}}"#
            ])
        let typed = try database.read { db in try Row.fetchOne(db, sql: "SELECT typeof(done) AS t, done FROM todos")! }
        #expect(typed["t"] as String == "integer")
        #expect(try database.read { try ClientDatabase.kv($0, ClientKV.targetWriteCheckpoint) } == String(Int64.max))
    }

    @Test func updateQueuesOnlyChangedColumnsAndDeleteQueuesDelete() throws {
        let database = try TestSupport.openDatabase()
        try database.write { db in try db.execute(sql: "INSERT INTO todos(id, title, n) VALUES ('a', 'x', 1)") }
        try database.write { db in try db.execute(sql: "UPDATE todos SET title = 'y', n = 1 WHERE id = 'a'") }
        try database.write { db in try db.execute(sql: "UPDATE todos SET title = NULL WHERE id = 'a'") }
        try database.write { db in try db.execute(sql: "UPDATE todos SET n = 1 WHERE id = 'a'") }
        try database.write { db in try db.execute(sql: "DELETE FROM todos WHERE id = 'a'") }
        #expect(
            try TestSupport.crud(database).dropFirst() == [
                #"{"op":"PATCH","type":"todos","id":"a","data":{"title":"y"}}"#,
                #"{"op":"PATCH","type":"todos","id":"a","data":{"title":null}}"#,
                #"{"op":"DELETE","type":"todos","id":"a"}"#,
            ])
        #expect(try TestSupport.titles(database).isEmpty)
        #expect(throws: (any Error).self) {
            try database.write { db in try db.execute(sql: "INSERT INTO todos(id, title) VALUES (NULL, 'x')") }
        }
    }

    @Test func oneTransactionIDPerWriteTransaction() throws {
        let database = try TestSupport.openDatabase()
        try database.write { db in
            try db.execute(sql: "INSERT INTO todos(id, title) VALUES ('a', '1')")
            try db.execute(sql: "INSERT INTO todos(id, title) VALUES ('b', '2')")
        }
        try database.write { db in try db.execute(sql: "INSERT INTO todos(id, title) VALUES ('c', '3')") }
        let ids = try database.read { db in try Int64.fetchAll(db, sql: "SELECT tx_id FROM ps_crud ORDER BY id") }
        #expect(ids.count == 3 && ids[0] == ids[1] && ids[2] > ids[0])
        let first = try #require(try database.read { try CrudQueue.nextTransaction($0) })
        #expect(first.entries.map(\.operation.id) == ["a", "b"])
        try database.queue.write { db in try CrudQueue.complete(db, first) }
        #expect(try database.read { try CrudQueue.nextTransaction($0) }?.entries.map(\.operation.id) == ["c"])
    }

    @Test func localOnlyTablesAreNeverQueued() throws {
        let database = try TestSupport.openDatabase()
        try database.write { db in try db.execute(sql: "INSERT INTO prefs(id, value) VALUES ('theme', 'dark')") }
        #expect(try TestSupport.crud(database).isEmpty)
        #expect(try database.read { try String.fetchOne($0, sql: "SELECT value FROM prefs") } == "dark")
    }

    @Test func reopeningKeepsDataAndClientID() throws {
        let database = try TestSupport.openDatabase()
        try database.write { db in try db.execute(sql: "INSERT INTO todos(id, title) VALUES ('a', 'x')") }
        let clientID = try database.clientID()
        #expect(clientID.count == 36)
        let reopened = try ClientDatabase(path: database.queue.path, schema: TestSupport.schema)
        #expect(try reopened.clientID() == clientID)
        #expect(try TestSupport.titles(reopened) == ["a": "x"])
    }

    /// New device files get 16 KB pages and a memory-mapped read path; a file made with 4 KB pages keeps them and
    /// keeps working (page size only changes for an empty file).
    @Test func newFilesUseLargePagesAndOldFilesKeepTheirs() throws {
        let fresh = try TestSupport.openDatabase()
        #expect(try fresh.read { try Int.fetchOne($0, sql: "PRAGMA page_size") } == 16384)
        #expect(try fresh.read { try Int.fetchOne($0, sql: "PRAGMA mmap_size") } ?? 0 > 0)

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stack-old-\(UUID().uuidString).db")
            .path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let old = try DatabaseQueue(path: path)
        try old.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA page_size = 4096")
            try db.execute(sql: "CREATE TABLE earlier(x)")
        }
        try old.close()
        let reopened = try ClientDatabase(path: path, schema: TestSupport.schema)
        #expect(try reopened.read { try Int.fetchOne($0, sql: "PRAGMA page_size") } == 4096)
        try reopened.write { db in try db.execute(sql: "INSERT INTO todos(id, title) VALUES ('a', 'x')") }
        #expect(try TestSupport.titles(reopened) == ["a": "x"])
    }

    /// SQLite's json_object writes reals with 15 significant digits; a value that needs more keeps them all, in
    /// the row and in the upload, and one that does not is written as before.
    @Test func realsKeepEveryDigitInTheRowAndTheUpload() throws {
        let database = try TestSupport.openDatabase()
        try database.write { db in
            try db.execute(
                sql: "INSERT INTO todos(id, score) VALUES ('pi', ?), ('tenth', 0.1), ('sum', ?), ('int', 2)",
                arguments: [3.141592653589793, 0.1 + 0.2])
            try db.execute(sql: "UPDATE todos SET score = ? WHERE id = 'tenth'", arguments: [1.0 / 3.0])
        }
        let scores = try database.read { db in
            try Row.fetchAll(db, sql: "SELECT id, score FROM todos").reduce(into: [String: Double]()) {
                $0[$1["id"]] = $1["score"]
            }
        }
        #expect(scores == ["pi": 3.141592653589793, "tenth": 1.0 / 3.0, "sum": 0.1 + 0.2, "int": 2])
        let crud = try TestSupport.crud(database)
        #expect(crud.contains(#"{"op":"PUT","type":"todos","id":"pi","data":{"score":3.1415926535897931}}"#), "\(crud)")
        #expect(crud.contains(#"{"op":"PUT","type":"todos","id":"tenth","data":{"score":0.1}}"#), "\(crud)")
        #expect(crud.contains(#"{"op":"PUT","type":"todos","id":"sum","data":{"score":0.30000000000000004}}"#))
        #expect(crud.contains(#"{"op":"PUT","type":"todos","id":"int","data":{"score":2.0}}"#), "\(crud)")
        #expect(crud.contains(#"{"op":"PATCH","type":"todos","id":"tenth","data":{"score":0.33333333333333331}}"#))
    }
}
