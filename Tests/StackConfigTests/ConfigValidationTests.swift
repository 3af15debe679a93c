import StackConfig
import Testing

@Suite("config: every problem reported at once, with file, line, column and key")
struct ConfigValidationTests {
    @Test("several problems in one file are all reported, in the file:line:column: key: message form")
    func allAtOnce() {
        let yaml = """
            auth:
              base_urll: http://x
            api:
              listen: nowhere
            schema:
              tables:
                notes:
                  columns:
                    id: { type: text, primary_key: true }
                    owner_id: text
                    size: { type: bigint }
            """
        let found = diagnostics(yaml)
        #expect(found.count == 3)
        #expect(found.map(\.key) == ["auth.base_urll", "api.listen", "schema.tables.notes.columns.size.type"])
        #expect(found[0].message.contains("did you mean 'base_url'"))
        #expect(found[0].line == 2 && found[0].column == 3)
        #expect(found[1].line == 4)
        #expect(found[2].message.contains("unknown type 'bigint'"))
        #expect(
            found[0].description
                == "/project/stack.yaml:2:3: auth.base_urll: unknown key 'base_urll'; did you mean 'base_url'?")
    }

    @Test("a YAML syntax error names its line")
    func syntaxError() {
        let found = diagnostics("schema:\n  tables: [unclosed\n")
        #expect(found.count == 1)
        #expect(found.first?.message.hasPrefix("YAML syntax error") == true)
        #expect((found.first?.line ?? 0) >= 2)
    }

    @Test("a duplicate table is reported with its position")
    func duplicateTable() {
        let found = diagnostics(
            minimalTable + "\n    notes:\n      columns: { id: { type: text, primary_key: true }, owner_id: text }")
        #expect(found.count == 1)
        #expect(found.first?.key == "notes")
        #expect(found.first?.message.contains("duplicate key") == true)
    }

    @Test(
        "rules for synced tables",
        arguments: [
            ("columns: { owner_id: text }", "schema.tables.t.columns", "missing the id column"),
            (
                "columns: { id: { type: integer, primary_key: true }, owner_id: text }", "schema.tables.t.columns.id",
                "single text id"
            ),
            ("columns: { id: text, owner_id: text }", "schema.tables.t.columns.id", "primary_key: true"),
            ("columns: { id: { type: text, primary_key: true } }", "schema.tables.t.columns", "no owner_id column"),
            (
                "columns: { id: { type: text, primary_key: true }, owner_id: integer }",
                "schema.tables.t.columns.owner_id", "type text"
            ),
            (
                "columns: { id: { type: text, primary_key: true }, owner_id: text, a: { type: text, primary_key: true } }",
                "schema.tables.t.columns.a", "only id may be the primary key"
            ),
            (
                "columns: { id: { type: text, primary_key: true }, owner_id: text }\n      indexes: [{ columns: [ownr_id] }]",
                "schema.tables.t.indexes", "did you mean 'owner_id'"
            ),
            (
                "columns: { id: { type: text, primary_key: true }, owner_id: text, n: { type: integer, default: abc } }",
                "schema.tables.t.columns.n.default", "not a valid default"
            ),
            (
                "columns: { id: { type: text, primary_key: true }, owner_id: text, \"Bad\": text }",
                "schema.tables.t.columns.Bad", "not a valid column name"
            ),
        ])
    func syncedTableRules(columns: String, key: String, message: String) {
        let found = diagnostics("schema:\n  tables:\n    t:\n      \(columns)\n")
        #expect(found.contains { $0.key == key && $0.message.contains(message) }, "got \(found)")
    }

    @Test("a local-only table needs no owner_id")
    func localOnly() throws {
        let config = try parse(
            "schema:\n  tables:\n    prefs:\n      local_only: true\n      columns: { id: { type: text, primary_key: true }, value: text }\n"
        )
        #expect(config.schema.syncedTables.isEmpty)
    }

    @Test(
        "wrong types and values name the key",
        arguments: [
            ("postgres:\n  managed:\n    port: abc\n", "postgres.managed.port", "whole number"),
            ("postgres:\n  managed:\n    port: 80\n", "postgres.managed.port", "between 1024"),
            ("postgres:\n  url: mysql://x\n", "postgres.url", "postgres://"),
            ("auth:\n  jwt:\n    expires_in: 2d\n", "auth.jwt.expires_in", "24h"),
            ("auth:\n  jwt:\n    expires_in: soon\n", "auth.jwt.expires_in", "not a duration"),
            // The same minimum as the check and the README: 16.
            ("auth:\n  secret: short\n", "auth.secret", "too short (5 characters); use at least 16 random characters"),
            ("auth:\n  rate_limit: maybe\n", "auth.rate_limit", "true or false"),
            ("auth: [1, 2]\n", "auth", "expected a mapping"),
            ("sync:\n  publication: Bad-Name\n", "sync.publication", "not a valid name"),
            ("sync:\n  jwks:\n    keys:\n      - { kty: RSA, n: x, e: AQAB }\n", "sync.jwks.keys[0]", "needs a kid"),
            (
                "sync:\n  jwks:\n    keys:\n      - { kty: oct, kid: a, alg: HS512, k: x }\n", "sync.jwks.keys[0]",
                "HS256"
            ),
            ("api:\n  listen: 127.0.0.1:8080\nsync:\n  listen: 127.0.0.1:8080\n", "sync.listen", "same address"),
            (
                "sync_rules:\n  bucket_definitions:\n    b:\n      parameters: SELECT 1\n",
                "sync_rules.bucket_definitions.b", "no data queries"
            ),
            (
                "sync_rules:\n  bucket_definitions:\n    b:\n      priority: 7\n      data: [SELECT * FROM notes]\n",
                "sync_rules.bucket_definitions.b.priority", "0 (highest)"
            ),
            ("sync_rules:\n  streams: {}\n", "sync_rules.streams", "not supported yet"),
        ])
    func wrongValues(yaml: String, key: String, message: String) {
        let found = diagnostics(yaml + minimalTable)
        #expect(found.contains { $0.key == key && $0.message.contains(message) }, "got \(found)")
    }

    @Test("a secret is never echoed in its error")
    func secretNotEchoed() {
        let found = diagnostics("auth:\n  secret: hunter2\n" + minimalTable)
        #expect(found.count == 1)
        #expect(!found[0].description.contains("hunter2"))
    }
}
