import Foundation
import StackConfig
import Testing

@Suite("stack schema: one model, five dialects")
struct SchemaRendererTests {
    static func model() throws -> AppSchema {
        let text = try String(contentsOf: fixture("schema/model.yaml"), encoding: .utf8)
        return try parse(text).schema
    }

    @Test("each format matches its reviewed golden file", arguments: SchemaFormat.allCases)
    func golden(format: SchemaFormat) throws {
        let rendered = SchemaRenderer(schema: try Self.model()).render(format) + "\n"
        let golden = try String(contentsOf: fixture("schema/model.\(format.rawValue).golden"), encoding: .utf8)
        #expect(rendered == golden)
    }

    @Test("the server makes owner_id NOT NULL and indexes it; devices keep it nullable")
    func ownerIDRules() throws {
        let schema = try Self.model()
        let pg = SchemaRenderer(schema: schema).render(.pgSQL)
        #expect(pg.contains(#""owner_id" text NOT NULL"#))
        #expect(
            pg.contains(#"CREATE INDEX IF NOT EXISTS "idx_documents_owner_id" ON public."documents" ("owner_id");"#))
        let sqlite = SchemaRenderer(schema: schema).render(.sqliteSQL)
        #expect(sqlite.contains("\"owner_id\" TEXT,"))
        #expect(!sqlite.contains("\"owner_id\" TEXT NOT NULL"))
    }

    @Test("local-only tables exist on devices only")
    func localOnly() throws {
        let renderer = SchemaRenderer(schema: try Self.model())
        #expect(!renderer.render(.pgSQL).contains("preferences"))
        #expect(!renderer.render(.drizzlePG).contains("preferences"))
        #expect(renderer.render(.sqliteSQL).contains("CREATE TABLE IF NOT EXISTS \"preferences\""))
        #expect(renderer.render(.drizzleSQLite).contains("sqliteTable(\n  \"preferences\""))
    }

    @Test("the SQLite schema is accepted by SQLite itself")
    func sqliteAccepts() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else {
            Issue.record("python3 is needed to run SQLite here; install python3")
            return
        }
        let sql = SchemaRenderer(schema: try Self.model()).render(.sqliteSQL)
        let script = """
            import sqlite3, sys
            db = sqlite3.connect(':memory:')
            db.executescript(sys.stdin.read())
            db.execute("INSERT INTO documents (id) VALUES ('a')")
            row = db.execute("SELECT content, word_count, pinned, created_at FROM documents").fetchone()
            print(row[0], row[1], row[2], len(row[3]))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(sql.utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        // Defaults apply: the text default with a quote, 0, false as 0, and an ISO timestamp of 24 characters.
        #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == "it's empty 0 0 24")
    }

    @Test("names convert to camelCase and PascalCase")
    func caseConversion() {
        #expect(Case.camel("owner_id") == "ownerId")
        #expect(Case.camel("group_hierarchy") == "groupHierarchy")
        #expect(Case.pascal("document_versions") == "DocumentVersions")
        #expect(Case.jsString("a\"b\\c\n") == #""a\"b\\c\n""#)
    }
}
