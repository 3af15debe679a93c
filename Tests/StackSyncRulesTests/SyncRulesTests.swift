import Testing

@testable import StackSyncRules

@Suite("Bucket definitions: rows into buckets, requests into bucket lists")
struct SyncRulesTests {
    @Test("seed rules: a document of u1 lands in user_data[\"u1\"] and u1 gets that bucket")
    func seed() throws {
        let compiled = try SyncRules.parse(yaml: try fixture("seed.yaml"), file: "seed.yaml")
        let rows = compiled.evaluateRow(table: "documents", row: ["id": "d1", "owner_id": "u1", "title": "x"])
        #expect(rows.count == 1)
        let row = try #require(rows.first)
        #expect(row.bucket == "user_data[\"u1\"]")
        #expect(row.objectType == "documents")
        #expect(row.objectID == "d1")
        #expect(row.data.names == ["id", "owner_id", "title"])
        #expect(row.data.jsonText == #"{"id":"d1","owner_id":"u1","title":"x"}"#)
        let buckets = compiled.buckets(for: RequestParameters(userID: "u1"))
        #expect(buckets == [BucketDescription(name: "user_data[\"u1\"]", priority: 3, definition: "user_data")])
        #expect(compiled.tables.map(\.description) == ["public.projects", "public.documents"])
        #expect(compiled.evaluateRow(table: "other", row: ["id": "x", "owner_id": "u1"]).isEmpty)
    }

    @Test("versioned prefix and ordered columns")
    func prefix() throws {
        let compiled = try rules(try fixture("seed.yaml"))
        let row = SQLiteRow([SQLiteColumn(name: "title", value: "t"), SQLiteColumn(name: "id", value: "p1"),
            SQLiteColumn(name: "owner_id", value: "u2")])
        let out = compiled.evaluateRow(table: "projects", row: row, streamID: "7")
        #expect(out.map(\.bucket) == ["7#user_data[\"u2\"]"])
        #expect(out.first?.data.names == ["title", "id", "owner_id"])
        #expect(compiled.buckets(for: RequestParameters(userID: "u2"), streamID: "7").map(\.name)
            == ["7#user_data[\"u2\"]"])
    }

    @Test("NULL owner matches no bucket; integer ids become text object ids")
    func nullAndIntegerIDs() throws {
        let compiled = try rules(try fixture("seed.yaml"))
        #expect(compiled.evaluateRow(table: "documents", row: ["id": "d", "owner_id": nil]).isEmpty)
        let out = compiled.evaluateRow(table: "documents", row: ["id": 42, "owner_id": 5])
        #expect(out.first?.objectID == "42")
        #expect(out.first?.bucket == "user_data[5]")
    }

    static let listsYAML = """
        bucket_definitions:
          user_lists:
            parameters: SELECT id AS list_id FROM lists WHERE owner_id = request.user_id()
            data:
              - SELECT * FROM lists WHERE id = bucket.list_id
              - SELECT * FROM todos WHERE list_id = bucket.list_id
        """

    @Test("table-based parameter query: index entries and lookups")
    func tableLookups() throws {
        let compiled = try rules(Self.listsYAML)
        let entries = compiled.evaluateParameterRow(table: "lists", row: ["id": "l1", "owner_id": "u1", "name": "A"])
        #expect(entries.count == 1)
        let entry = try #require(entries.first)
        #expect(entry.lookup == ParameterLookup(definition: "user_lists", queryID: "1", values: ["u1"]))
        #expect(entry.lookup.serializedKey == #"["user_lists","1","u1"]"#)
        #expect(entry.bucketParameters == [["list_id": "l1"]])

        let querier = compiled.querier(for: RequestParameters(userID: "u1"))
        #expect(querier.staticBuckets.isEmpty)
        #expect(querier.lookups == [entry.lookup])
        let found = entry.bucketParameters + [["list_id": "l2"]]
        let buckets = querier.resolveBuckets(lookupResults: [entry.lookup: found])
        #expect(buckets.map(\.name) == ["user_lists[\"l1\"]", "user_lists[\"l2\"]"])

        let todo = compiled.evaluateRow(table: "todos", row: ["id": "t1", "list_id": "l1", "done": 0])
        #expect(todo.map(\.bucket) == ["user_lists[\"l1\"]"])
        #expect(todo.first?.objectType == "todos")
        #expect(compiled.parameterTables.map(\.name) == ["lists"])
        #expect(compiled.dataTables.map(\.name) == ["lists", "todos"])
    }

    @Test("parameter row with NULL key is not indexed")
    func nullLookup() throws {
        let compiled = try rules(Self.listsYAML)
        #expect(compiled.evaluateParameterRow(table: "lists", row: ["id": "l1", "owner_id": nil]).isEmpty)
    }

    @Test("IN with a JSON array column on the row side (data query)")
    func bucketInRowArray() throws {
        let compiled = try rules("""
            bucket_definitions:
              by_tag:
                parameters: SELECT token_parameters.tag AS tag
                data:
                  - SELECT id, title FROM posts WHERE bucket.tag IN posts.tags
            """)
        let out = compiled.evaluateRow(table: "posts", row: ["id": "p", "title": "T", "tags": "[\"a\",\"b\",3]"])
        #expect(out.map(\.bucket) == ["by_tag[\"a\"]", "by_tag[\"b\"]", "by_tag[3]"])
        #expect(out.first?.data.names == ["id", "title"])
        let request = RequestParameters(userID: "u", jwtClaims: ["parameters": ["tag": "b"]])
        #expect(compiled.buckets(for: request).map(\.name) == ["by_tag[\"b\"]"])
    }

    @Test("IN with a JSON array column on the parameter table row")
    func parameterInRowArray() throws {
        let compiled = try rules("""
            bucket_definitions:
              groups:
                parameters: SELECT id AS group_id FROM groups WHERE request.user_id() IN groups.user_ids
                data:
                  - SELECT * FROM docs WHERE group_id = bucket.group_id
            """)
        let entries = compiled.evaluateParameterRow(table: "groups", row: ["id": "g1", "user_ids": "[\"u1\",\"u2\"]"])
        #expect(entries.map(\.lookup.values) == [["u1"], ["u2"]])
        #expect(entries.allSatisfy { $0.bucketParameters == [["group_id": "g1"]] })
    }

    @Test("IN with a request array expands into one lookup per element")
    func requestArrayExpands() throws {
        let compiled = try rules("""
            bucket_definitions:
              regions:
                parameters: SELECT id AS region_id FROM regions WHERE name IN token_parameters.region_names
                data:
                  - SELECT * FROM stores WHERE region_id = bucket.region_id
            """)
        let entries = compiled.evaluateParameterRow(table: "regions", row: ["id": "r1", "name": "north"])
        #expect(entries.map(\.lookup.values) == [["north"]])
        let request = RequestParameters(userID: "u", jwtClaims: ["parameters": ["region_names": ["north", "south"]]])
        let querier = compiled.querier(for: request)
        #expect(querier.lookups.map(\.values) == [["north"], ["south"]])
        let buckets = querier.resolveBuckets(lookupResults: [entries[0].lookup: entries[0].bucketParameters])
        #expect(buckets.map(\.name) == ["regions[\"r1\"]"])
    }

    @Test("json_each over a JWT array gives one bucket per element")
    func jsonEach() throws {
        let compiled = try rules("""
            bucket_definitions:
              projects:
                parameters: SELECT value AS project_id FROM json_each(request.jwt() -> 'projects')
                data:
                  - SELECT * FROM tasks WHERE project_id = bucket.project_id
            """)
        let request = RequestParameters(userID: "u", jwtClaims: ["projects": ["p1", 2]])
        #expect(compiled.buckets(for: request).map(\.name) == ["projects[\"p1\"]", "projects[2]"])
        #expect(compiled.buckets(for: RequestParameters(userID: "u")).isEmpty)
    }

    @Test("static filter-only query grants a global bucket conditionally")
    func filterOnly() throws {
        let compiled = try rules("""
            bucket_definitions:
              admin:
                parameters: SELECT WHERE token_parameters.is_admin
                data:
                  - SELECT * FROM audit
              everyone:
                data:
                  - SELECT id, name FROM settings
            """)
        let admin = RequestParameters(userID: "a", jwtClaims: ["parameters": ["is_admin": true]])
        let user = RequestParameters(userID: "b", jwtClaims: ["parameters": ["is_admin": false]])
        #expect(compiled.buckets(for: admin).map(\.name) == ["admin[]", "everyone[]"])
        #expect(compiled.buckets(for: user).map(\.name) == ["everyone[]"])
        #expect(compiled.evaluateRow(table: "audit", row: ["id": "1"]).map(\.bucket) == ["admin[]"])
    }

    @Test("multiple bucket parameters and request functions")
    func multipleParameters() throws {
        let compiled = try rules("""
            bucket_definitions:
              mybucket:
                parameters: SELECT request.user_id() AS user_id, upper(request.jwt() ->> 'device') AS device
                data:
                  - SELECT * FROM notes WHERE user_id = bucket.user_id AND device = bucket.device
            """)
        let request = RequestParameters(userID: "user1", jwtClaims: ["device": "dev1"])
        #expect(compiled.buckets(for: request).map(\.name) == ["mybucket[\"user1\",\"DEV1\"]"])
        let out = compiled.evaluateRow(table: "notes", row: ["id": "n", "user_id": "user1", "device": "DEV1"])
        #expect(out.map(\.bucket) == ["mybucket[\"user1\",\"DEV1\"]"])
        #expect(compiled.bucketParameters(of: "mybucket") == ["user_id", "device"])
    }

    @Test("OR with the same bucket parameters on both sides")
    func orSameParameters() throws {
        let compiled = try rules("""
            bucket_definitions:
              shared:
                parameters: SELECT request.user_id() AS user_id
                data:
                  - SELECT * FROM files WHERE owner_id = bucket.user_id OR editor_id = bucket.user_id
            """)
        let out = compiled.evaluateRow(table: "files", row: ["id": "f", "owner_id": "a", "editor_id": "b"])
        #expect(out.map(\.bucket) == ["shared[\"a\"]", "shared[\"b\"]"])
    }

    @Test("row filters combine with bucket parameters")
    func rowFilter() throws {
        let compiled = try rules("""
            bucket_definitions:
              open_todos:
                parameters: SELECT request.user_id() AS user_id
                data:
                  - SELECT id, upper(title) AS title FROM todos WHERE owner_id = bucket.user_id AND done = 0
            """)
        #expect(compiled.evaluateRow(table: "todos", row: ["id": "1", "owner_id": "u", "done": 1]).isEmpty)
        let out = compiled.evaluateRow(table: "todos", row: ["id": "1", "owner_id": "u", "done": 0, "title": "x"])
        #expect(out.first?.data == ["id": "1", "title": "X"])
    }

    @Test("alias is the object type; schema-qualified and quoted names")
    func aliasesAndSchemas() throws {
        let compiled = try rules("""
            bucket_definitions:
              global:
                data:
                  - SELECT * FROM "app"."Items" AS things
                  - SELECT id FROM other.stuff
            """)
        #expect(compiled.tables == [TableReference(schema: "app", name: "Items"),
            TableReference(schema: "other", name: "stuff")])
        #expect(compiled.evaluateRow(schema: "app", table: "Items", row: ["id": "1"]).first?.objectType == "things")
        #expect(compiled.evaluateRow(schema: "public", table: "Items", row: ["id": "1"]).isEmpty)
        #expect(compiled.evaluateRow(schema: "other", table: "stuff", row: ["id": "s"]).first?.objectType == "stuff")
    }

    @Test("wildcard tables use the concrete table name and expose _table_suffix")
    func wildcard() throws {
        let compiled = try rules("""
            bucket_definitions:
              global:
                data:
                  - SELECT *, _table_suffix AS suffix FROM "log_%"
            """)
        let out = compiled.evaluateRow(table: "log_2024", row: ["id": "1", "_hidden": 1])
        #expect(out.first?.objectType == "log_2024")
        #expect(out.first?.data == ["id": "1", "suffix": "2024"])
    }

    @Test("priorities from the definition key and from _priority; duplicates keep the highest")
    func priorities() throws {
        let compiled = try rules("""
            bucket_definitions:
              urgent:
                priority: 0
                parameters: SELECT request.user_id() AS user_id
                data: [SELECT * FROM alerts WHERE user_id = bucket.user_id]
              later:
                parameters: SELECT request.user_id() AS user_id, 2 AS _priority
                data: [SELECT * FROM logs WHERE user_id = bucket.user_id]
            """)
        let buckets = compiled.buckets(for: RequestParameters(userID: "u"))
        #expect(buckets.map(\.priority) == [0, 2])
        #expect(buckets.map(\.name) == ["urgent[\"u\"]", "later[\"u\"]"])
    }

    @Test("client parameters via request.parameters() and user_parameters")
    func clientParameters() throws {
        let compiled = try rules("""
            bucket_definitions:
              org:
                accept_potentially_dangerous_queries: true
                parameters: SELECT request.parameters() ->> 'org_id' AS org_id
                data: [SELECT * FROM orgs WHERE id = bucket.org_id]
            """)
        #expect(compiled.warnings.isEmpty)
        let request = RequestParameters(userID: "u", clientParameters: ["org_id": 314.0])
        #expect(compiled.buckets(for: request).map(\.name) == ["org[314]"])
    }
}
