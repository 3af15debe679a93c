import Testing

@testable import StackSyncRules

@Suite("YAML input, schema validation and explain")
struct YAMLAndToolingTests {
    @Test("positions point into block and quoted scalars")
    func positions() throws {
        let yaml = """
            bucket_definitions:
              a:
                parameters: "SELECT request.user_id() AS user_id LIMIT 1"
                data:
                  - |
                    SELECT *
                    FROM t WHERE x = bucket.user_id ORDER BY x
            """
        let error = try #require(throws: SyncRulesError.self) { try SyncRules.parse(yaml: yaml) }
        let limit = try #require(error.issues.first { $0.message == "LIMIT is not supported" })
        #expect(limit.line == 3)
        #expect(limit.column == 54)
        let order = try #require(error.issues.first { $0.message == "ORDER BY is not supported" })
        #expect(order.line == 7)
        #expect(order.column == 41)
        #expect(order.queryKind == .data)
    }

    @Test("malformed documents", arguments: [
        ("streams:\n  s:\n    query: SELECT * FROM t\n", "'bucket_definitions' is required"),
        ("bucket_definitions:\n  a: 1\n", "'a' bucket definition must be an object"),
        ("bucket_definitions:\n  a:\n    parameters: SELECT request.user_id() AS u\n", "'data' is required"),
        ("bucket_definitions:\n  a:\n    data: SELECT * FROM t\n", "'data' must be a list"),
        ("bucket_definitions:\n  a:\n    data: [SELECT * FROM t]\n    colour: red\n", "Unknown key 'colour'"),
        ("bucket_definitions: [\n", "Invalid YAML"),
        ("config:\n  edition: 3\nbucket_definitions:\n  a:\n    data: [SELECT * FROM t]\n", "config.edition 3"),
    ])
    func malformed(_ yaml: String, _ message: String) throws {
        let error = try #require(throws: SyncRulesError.self) { try SyncRules.parse(yaml: yaml) }
        #expect(error.errors.contains { $0.message.contains(message) && $0.code == .yaml }, "\(error.issues)")
    }

    @Test("caller-parsed definitions compile the same as YAML")
    func definitionsAPI() throws {
        let compiled = try SyncRules.parse(definitions: [
            BucketDefinitionSource(name: "user_data",
                parameterQueries: [QuerySource(sql: "SELECT request.user_id() as user_id")],
                dataQueries: [QuerySource(sql: "SELECT * FROM documents WHERE owner_id = bucket.user_id")])
        ])
        #expect(compiled.buckets(for: RequestParameters(userID: "u1")).map(\.name) == ["user_data[\"u1\"]"])
        #expect(compiled.definitionNames == ["user_data"])
    }

    @Test("schema validation reports unknown tables and columns with positions")
    func validate() throws {
        let compiled = try rules("""
            bucket_definitions:
              lists:
                parameters: SELECT id AS list_id FROM lists WHERE owner = request.user_id()
                data:
                  - SELECT * FROM todos WHERE list_id = bucket.list_id AND colour = 'red'
                  - SELECT * FROM ghosts WHERE list_id = bucket.list_id
            """)
        let problems = compiled.validate(against: ["lists": ["id", "owner_id"], "public.todos": ["id", "list_id"]])
        let messages = problems.map(\.message)
        #expect(messages.contains("Column not found: owner"))
        #expect(messages.contains("Column not found: colour"))
        #expect(messages.contains("Table public.ghosts not found"))
        #expect(problems.allSatisfy { $0.code == .schema && $0.severity == .warning })
        let colour = try #require(problems.first { $0.message == "Column not found: colour" })
        #expect(colour.line == 5)
        #expect(colour.queryIndex == 0)
        #expect(compiled.validate(against: ["lists": ["id", "owner"], "todos": ["id", "list_id", "colour"],
            "ghosts": ["id", "list_id"]]).isEmpty)
    }

    @Test("explain names the definition, query and bucket")
    func explain() throws {
        let compiled = try rules("""
            bucket_definitions:
              mine:
                parameters: SELECT request.user_id() AS user_id
                data: [SELECT * FROM t WHERE owner = bucket.user_id]
              lists:
                parameters: SELECT id AS list_id FROM lists WHERE owner_id = request.user_id()
                data: [SELECT * FROM todos WHERE list_id = bucket.list_id]
            """)
        let lines = compiled.explain(for: RequestParameters(userID: "u1")) { lookup in
            lookup.values == ["u1"] ? [["list_id": "L"]] : []
        }
        #expect(lines.contains { $0.contains("mine parameter query 1") && $0.contains(#"mine["u1"]"#) })
        #expect(lines.contains { $0.contains("lists parameter query 1") && $0.contains(#"["lists","1","u1"]"#) })
        #expect(lines.contains("  lists[\"L\"] priority 3"))
        #expect(lines.contains("buckets (2):"))
    }

    @Test("request evaluation errors are reported, not thrown")
    func requestErrors() throws {
        let compiled = try rules("""
            bucket_definitions:
              p:
                parameters: SELECT value AS v FROM json_each(token_parameters.list)
                data: [SELECT * FROM t WHERE v = bucket.v]
            """)
        let request = RequestParameters(userID: "u", jwtClaims: ["parameters": ["list": 5]])
        let querier = compiled.querier(for: request)
        #expect(querier.errors.count == 1)
        #expect(querier.staticBuckets.isEmpty)
    }
}
