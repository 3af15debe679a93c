import Foundation
import PostgresNIO
import StackConfig
import StackPostgres
import StackTesting
import Testing

@Suite("schema from the config")
struct SchemaApplyTests {
    @Test("creates tables, owner_id NOT NULL and indexed, unique indexes and the publication; a second run changes nothing")
    func createsAndIsIdempotent() async throws {
        let database = try await TestPostgres.shared().makeDatabase()
        let path = try writeConfig(try externalConfig(database).replacingOccurrences(
            of: "        done: { type: boolean, nullable: false, default: false }",
            with: "        done: { type: boolean, nullable: false, default: false }\n      indexes:\n        - { columns: [body, done], unique: true }"))
        let config = try await applySchema(path)
        let url = database.databaseURL
        #expect(try await scalar(url, "SELECT is_nullable FROM information_schema.columns WHERE table_name = 'notes' AND column_name = 'owner_id'") == "NO")
        #expect(try await scalar(url, "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'notes'")
            == "idx_notes_owner_id,notes_pkey,uq_notes_body_done")
        #expect(try await scalar(url, "SELECT string_agg(tablename, ',') FROM pg_publication_tables WHERE pubname = 'powersync'") == "notes")
        let second = try await PostgresClient.withClient(url, logger: testLogger) { client in
            try await SchemaApplier(schema: config.schema, publication: "powersync").apply(client: client, logger: testLogger)
        }
        #expect(second.applied.isEmpty)
        #expect(second.reported.isEmpty)
        #expect(!second.publicationChanged)
    }

    @Test("additive changes apply; destructive ones are reported with their statement and never applied")
    func additiveOnly() async throws {
        let database = try await TestPostgres.shared().makeDatabase()
        let url = database.databaseURL
        let path = try writeConfig(try externalConfig(database))
        _ = try await applySchema(path)
        try await execute(url, "INSERT INTO notes (id, owner_id, body) VALUES ('n1', 'u1', 'keep me')")
        // The config now wants: body as integer (destructive), a new nullable column, a new NOT NULL column without
        // default on a table with rows (cannot be added safely).
        let changed = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "body: { type: text, nullable: false, default: \"\" }", with: "body: integer\n        tag: text\n        rank: { type: integer, nullable: false }")
        try changed.write(toFile: path, atomically: true, encoding: .utf8)
        let config = try ConfigLoader().load(explicit: path)
        let outcome = try await PostgresClient.withClient(url, logger: testLogger) { client in
            try await SchemaApplier(schema: config.schema, publication: "powersync").apply(client: client, logger: testLogger)
        }
        #expect(outcome.applied.map(\.description) == ["notes.tag: column missing"])
        let reported = outcome.reported.map(\.description)
        #expect(reported.contains("notes.body: type is text, config says integer (bigint)"))
        #expect(reported.contains { $0.hasPrefix("notes.rank: column missing; it is NOT NULL without a default and the table has rows") })
        #expect(try await scalar(url, "SELECT data_type FROM information_schema.columns WHERE table_name = 'notes' AND column_name = 'body'") == "text")
        #expect(try await scalar(url, "SELECT body FROM notes WHERE id = 'n1'") == "keep me")
        #expect(try await scalar(url, "SELECT count(*)::text FROM information_schema.columns WHERE table_name = 'notes' AND column_name = 'tag'") == "1")
    }

    @Test("the generated pg-sql creates a schema the doctor finds drift-free")
    func generatedSQLMatches() async throws {
        let database = try await TestPostgres.shared().makeDatabase()
        let path = try writeConfig(try externalConfig(database))
        let config = try ConfigLoader().load(explicit: path)
        let statements = SchemaRenderer(schema: config.schema).render(.pgSQL)
            .split(separator: "\n").filter { !$0.hasPrefix("--") }.joined(separator: "\n")
            .split(separator: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        for statement in statements { try await execute(database.databaseURL, statement) }
        let diff = try await PostgresClient.withClient(database.databaseURL, logger: testLogger) { client in
            try await SchemaApplier(schema: config.schema, publication: "powersync").diff(client: client, logger: testLogger)
        }
        #expect(diff.isEmpty, "\(diff.additive) \(diff.reported)")
    }

    @Test("migrations run once per namespace, in order, each in a transaction")
    func migrations() async throws {
        let database = try await TestPostgres.shared().makeDatabase()
        let url = database.databaseURL
        let list = [
            Migration(id: 1, name: "create", sql: "CREATE TABLE m (v int)"),
            Migration(id: 2, name: "seed", sql: "INSERT INTO m VALUES (1)"),
        ]
        let first = try await PostgresClient.withClient(url, logger: testLogger) { client in
            try await Migrator.run(list, namespace: "test", client: client, logger: testLogger)
        }
        let second = try await PostgresClient.withClient(url, logger: testLogger) { client in
            try await Migrator.run(list, namespace: "test", client: client, logger: testLogger)
        }
        #expect(first == 2)
        #expect(second == 0)
        #expect(try await scalar(url, "SELECT count(*)::text FROM m") == "1")
        let broken = [Migration(id: 3, name: "broken", sql: "INSERT INTO m VALUES (2); SELECT * FROM nowhere")]
        await #expect(throws: (any Error).self) {
            try await PostgresClient.withClient(url, logger: testLogger) { client in
                try await Migrator.run(broken, namespace: "test", client: client, logger: testLogger)
            }
        }
        #expect(try await scalar(url, "SELECT count(*)::text FROM m") == "1", "a failed migration leaves nothing behind")
    }
}
