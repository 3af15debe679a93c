import Foundation
import GRDB
import StackClient
import Testing

/// Reals SQLite's printf gets wrong at 17 digits are stored and uploaded exactly, or refused; never altered.
@Suite struct ExactRealTests {
    struct Put: Decodable {
        let id: String
        let data: [String: Double]
    }

    /// The `score` of the first queued op of row `id` (JSONDecoder reads numbers exactly).
    static func uploaded(_ database: ClientDatabase, _ id: String) throws -> Double? {
        for text in try TestSupport.crud(database) {
            let op = try JSONDecoder().decode(Put.self, from: Data(text.utf8))
            if op.id == id { return op.data["score"] }
        }
        return nil
    }

    /// 1.7976931348623157e308 (the largest double) came out as ...156e+308 in the stored row and ...154e+308 in the
    /// upload. Such numbers, and some others at large magnitudes, are now exact.
    @Test(arguments: [1.7976931348623157e308, -1.1545580616824966e+232, 1.4523142177899403e+308, 0.1 + 0.2])
    func storedAndUploadedExactly(_ value: Double) throws {
        let database = try TestSupport.openDatabase()
        try database.write { db in
            try db.execute(sql: "INSERT INTO todos(id, score) VALUES ('r', ?)", arguments: [value])
        }
        #expect(try database.read { try Double.fetchOne($0, sql: "SELECT score FROM todos") } == value)
        #expect(try Self.uploaded(database, "r") == value)
        try database.write { db in try db.execute(sql: "UPDATE todos SET title = 'x' WHERE id = 'r'") }
        #expect(try database.read { try Double.fetchOne($0, sql: "SELECT score FROM todos") } == value)
    }

    /// A number SQLite cannot print back (its last digits lost) and infinity (JSON has none: "malformed JSON"
    /// before) are refused with a message naming the column; nothing is written or queued.
    @Test(arguments: [-1.1180864432365901e+300, Double.infinity])
    func unprintableRealsAreRefused(_ value: Double) throws {
        let database = try TestSupport.openDatabase()
        var message: String?
        do {
            try database.write { db in
                try db.execute(sql: "INSERT INTO todos(id, score) VALUES ('r', ?)", arguments: [value])
            }
        } catch let error as DatabaseError {
            message = error.message
        }
        #expect(message?.hasPrefix("todos.score: this number cannot be stored exactly on this device") == true)
        #expect(try TestSupport.crud(database).isEmpty)
        try database.write { db in try db.execute(sql: "INSERT INTO todos(id, score) VALUES ('r', 1.5)") }
        #expect(throws: DatabaseError.self) {
            try database.write { db in
                try db.execute(sql: "UPDATE todos SET score = ? WHERE id = 'r'", arguments: [value])
            }
        }
    }
}
