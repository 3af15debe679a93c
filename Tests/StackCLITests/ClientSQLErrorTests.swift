import Foundation
import GRDB
import StackClient
import StackConfig
import StackCore
import Testing

@testable import StackCLI

/// SQLite's errors on a device database, and `query` with several statements, in `stack client`'s words.
@Suite struct ClientSQLErrorTests {
    static let table = TableSchema(
        name: "documents", localOnly: false,
        columns: [
            ColumnSchema(name: "id", type: .text, primaryKey: true, nullable: false, defaultValue: nil),
            ColumnSchema(name: "title", type: .text, primaryKey: false, nullable: false, defaultValue: nil),
            ColumnSchema(name: "content", type: .text, primaryKey: false, nullable: false, defaultValue: nil),
            ColumnSchema(
                name: "pinned", type: .boolean, primaryKey: false, nullable: false, defaultValue: .boolean(false)),
        ],
        indexes: [])

    static func open() throws -> ClientDatabase {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stack-cli-tests-\(UUID()).db").path
        return try ClientDatabase(path: path, schema: AppSchema(tables: [table]))
    }

    static func coded(_ database: ClientDatabase, _ sql: String) -> StackError? {
        do {
            _ = try database.write { db in try ClientRows.fetch(db, sql: sql) }
            return nil
        } catch let error as DatabaseError {
            return ClientSQLError.coded(error)
        } catch {
            return StackError("?", "\(error)")
        }
    }

    @Test func duplicateIDsNameTheTableNotItsStorage() throws {
        let database = try Self.open()
        #expect(Self.coded(database, "INSERT INTO documents(id, title, content) VALUES ('a', 't', 'c')") == nil)
        let duplicate = try #require(
            Self.coded(database, "INSERT INTO documents(id, title, content) VALUES ('a', 't', 'c')"))
        #expect(duplicate.code == "STACK-K113")
        #expect(duplicate.message.hasPrefix("a documents row with this id already exists on this device"))
        #expect(ClientSQLError.duplicateIDTable("UNIQUE constraint failed: prefs.id") == "prefs")
        #expect(ClientSQLError.duplicateIDTable("UNIQUE constraint failed: t.a, t.b") == nil)
    }

    @Test func triggerRefusalsAreShownAsWritten() throws {
        let database = try Self.open()
        let missing = try #require(Self.coded(database, "INSERT INTO documents(id, title) VALUES ('a', 't')"))
        #expect(missing.code == "STACK-K112")
        #expect(missing.message.hasPrefix("documents.content needs a value"), "\(missing.message)")
        let syntax = try #require(Self.coded(database, "SELEC 1"))
        #expect(
            syntax.description == #"STACK-K114: the device's SQLite database reported: near "SELEC": syntax error."#)
    }

    /// GRDB refused `select 1; select 2` with "use Database.execute(sql:) or Database.allStatements(sql:)".
    @Test func severalStatementsRunInOrderAndTheLastOnesRowsCount() throws {
        let database = try Self.open()
        let rows = try database.write { db in
            try ClientRows.fetch(db, sql: "CREATE TABLE t(a); INSERT INTO t VALUES (5); SELECT a * 2 AS b FROM t;")
        }
        #expect(rows.columns == ["b"] && rows.rows == [[10.databaseValue]])
        let two = try database.read { db in try ClientRows.fetch(db, sql: "select 1; select 2") }
        #expect(two.rows == [[2.databaseValue]])
        // All or none: a failing later statement undoes the earlier ones.
        #expect(Self.coded(database, "INSERT INTO t VALUES (6); INSERT INTO nope VALUES (1)") != nil)
        #expect(try database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM t") } == 1)
    }

    @Test func missingRequiredColumnsAreNamedAtOnce() throws {
        #expect(throws: Never.self) {
            try ClientValues.checkRequired(
                [("title", "t".databaseValue), ("content", "c".databaseValue)], table: Self.table)
        }
        do {
            try ClientValues.checkRequired([("title", .null)], table: Self.table)
            Issue.record("accepted")
        } catch let error as StackError {
            #expect(error.code == "STACK-K112")
            #expect(error.message.hasPrefix("documents needs values for title, content"), "\(error.message)")
            #expect(error.message.hasSuffix("Give title=VALUE content=VALUE."))
        }
        #expect(throws: StackError.self) {
            try ClientValues.checkNotNull([("pinned", .null)], table: Self.table)
        }
        #expect(throws: Never.self) {
            try ClientValues.checkNotNull([("pinned", false.databaseValue)], table: Self.table)
        }
    }
}
