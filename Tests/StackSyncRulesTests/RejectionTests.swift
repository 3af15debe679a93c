import Testing

@testable import StackSyncRules

@Suite("Rejected queries carry PowerSync's messages, definition, query index and position")
struct RejectionTests {
    /// (parameter query, data query, expected message fragment, code)
    static let cases: [(String, String, String, SyncRulesIssue.Code)] = [
        ("SELECT token_parameters.user_id AS user_id LIMIT 1", "SELECT * FROM t WHERE a = bucket.user_id",
            "LIMIT is not supported", .unsupportedClause),
        ("SELECT request.user_id() AS user_id", "SELECT DISTINCT * FROM t WHERE a = bucket.user_id",
            "DISTINCT is not supported", .unsupportedClause),
        ("SELECT request.user_id() AS user_id", "SELECT * FROM t WHERE a = bucket.user_id ORDER BY id",
            "ORDER BY is not supported", .unsupportedClause),
        ("SELECT id AS user_id FROM users WHERE id = request.user_id() FOR UPDATE",
            "SELECT * FROM t WHERE a = bucket.user_id", "FOR is not supported", .unsupportedClause),
        ("SELECT request.user_id() AS user_id", "SELECT * FROM t WHERE a = bucket.user_id GROUP BY a",
            "GROUP BY is not supported", .unsupportedClause),
        ("SELECT request.user_id() AS user_id", "SELECT * FROM t WHERE a = bucket.user_id LIMIT 5 OFFSET 2",
            "LIMIT is not supported", .unsupportedClause),
        ("SELECT request.user_id() AS user_id", "SELECT * FROM t WHERE upper(a) = upper(bucket.user_id)",
            "Cannot use bucket parameters in expressions", .expression),
        ("SELECT request.user_id() AS user_id", "SELECT * FROM t WHERE a = bucket.user_id || 'x'",
            "Cannot use bucket parameters in expressions", .expression),
        ("SELECT request.user_id() AS user_id", "SELECT * FROM t",
            #"Query must cover all bucket parameters. Expected: ["bucket.user_id"] Got: []"#, .bucketParameters),
        ("SELECT request.user_id() AS user_id", "SELECT * FROM t WHERE a = bucket.other",
            #"Expected: ["bucket.user_id"] Got: ["bucket.other"]"#, .bucketParameters),
        ("SELECT request.user_id() AS user_id", "SELECT * FROM t WHERE t.tags IN bucket.user_id",
            "Cannot use bucket parameters on the right side of IN operators", .expression),
        ("SELECT request.user_id() AS user_id", "SELECT * FROM t JOIN u ON t.a = u.b WHERE t.a = bucket.user_id",
            "Must SELECT from a single table", .unsupportedClause),
        ("SELECT request.user_id() AS user_id", "SELECT * FROM t, u WHERE t.a = bucket.user_id",
            "Must SELECT from a single table", .unsupportedClause),
        ("SELECT request.user_id() AS user_id", "SELECT * FROM (SELECT * FROM t) x",
            "Subqueries are not supported", .unsupportedClause),
        ("SELECT request.user_id() AS user_id",
            "SELECT * FROM t WHERE a = bucket.user_id AND b IN (SELECT id FROM u)",
            "Subqueries are not supported", .expression),
        ("SELECT request.user_id() AS user_id", "SELECT count(*) AS n, id FROM t WHERE a = bucket.user_id",
            "Aggregate functions are not supported", .expression),
        ("SELECT request.user_id() AS user_id", "SELECT * FROM t WHERE a = bucket.user_id AND nosuch(a)",
            "Function 'nosuch' is not defined", .expression),
        ("SELECT request.user_id() AS user_id", "SELECT * FROM t WHERE a = request.user_id()",
            "request schema is not available in data queries", .expression),
        ("SELECT request.user_id() AS user_id", "SELECT * FROM t WHERE a = bucket.user_id OR b = 1",
            "Left and right sides of OR must use the same parameters", .bucketParameters),
        ("SELECT request.user_id() AS user_id", "SELECT upper(a) FROM t WHERE a = bucket.user_id",
            "alias is required", .expression),
        ("SELECT request.user_id() AS user_id", "SELECT name FROM t WHERE a = bucket.user_id",
            "Query must return an \"id\" column", .missingID),
        ("SELECT request.user_id() AS user_id", "SELECT * FROM t WHERE a = bucket.user_id AND x LIKE 'a%'",
            "Operator not supported: LIKE", .expression),
        ("SELECT request.user_id() AS user_id", "SELECT * FROM t WHERE a = bucket.user_id AND x NOT IN '[1]'",
            "Operator not supported: NOT IN", .expression),
        ("SELECT request.user_id() AS user_id", "SELECT CAST(a AS varchar) AS id FROM t WHERE a = bucket.user_id",
            "CAST not supported for 'varchar'", .expression),
        ("SELECT request.user_id() AS user_id", "SELECT * FROM t WHERE a = bucket.user_id AND b = $1",
            "Query parameters ($1) are not supported", .expression),
        ("SELECT request.user_id() AS user_id", "SELECT * FROM t WHERE a = bucket.user_id; SELECT 1",
            "Only a single SELECT statement is supported", .unsupportedClause),
        ("SELECT request.user_id() AS user_id", "DELETE FROM t", "Only SELECT statements are supported",
            .unsupportedClause),
        ("SELECT request.user_id() AS user_id", "SELECT * FROM t WHERE a = 'unterminated",
            "Unterminated string", .syntax),
        ("SELECT request.user_id() AS user_id", "SELECT * FROM t WHERE a = = bucket.user_id",
            "Syntax error", .syntax),
        ("SELECT * FROM users", "SELECT * FROM t", "* is not supported here - use explicit columns", .expression),
        ("SELECT id AS user_id FROM users u WHERE u.id = request.user_id()",
            "SELECT * FROM t WHERE a = bucket.user_id", "Table aliases not supported in parameter queries",
            .unsupportedClause),
        ("SELECT id AS a FROM t1 WHERE x IN token_parameters.p AND y IN token_parameters.q",
            "SELECT * FROM t WHERE a = bucket.a", "Cannot have multiple array input parameters", .bucketParameters),
        ("SELECT id AS a FROM t1 WHERE token_parameters.p IN t1.x AND token_parameters.q IN t1.y",
            "SELECT * FROM t WHERE a = bucket.a", "Cannot have multiple IN expressions on bucket parameters",
            .bucketParameters),
        ("SELECT request.nope() AS a", "SELECT * FROM t WHERE a = bucket.a", "Function 'request.nope' is not defined",
            .expression),
        ("SELECT bucket.x AS a", "SELECT * FROM t WHERE a = bucket.a", "Undefined reference: bucket.x", .expression),
        ("SELECT id AS a, id AS b FROM t1 WHERE id = request.user_id() AND id = t1.id",
            "SELECT * FROM t WHERE a = bucket.a", "Query must cover all bucket parameters", .bucketParameters),
        ("SELECT request.user_id() AS user_id, 7 AS _priority", "SELECT * FROM t WHERE a = bucket.user_id",
            "Invalid value for priority, must be between 0 and 3 (inclusive).", .priority),
        ("SELECT request.user_id() AS user_id, '1' AS _priority", "SELECT * FROM t WHERE a = bucket.user_id",
            "Priority must be a simple integer literal", .priority),
        ("SELECT value AS v FROM json_tree(request.jwt())", "SELECT * FROM t WHERE a = bucket.v",
            "Table-valued function json_tree is not defined.", .expression),
        ("SELECT request.user_id() AS user_id", "SELECT * FROM t WHERE a = bucket.user_id AND "
            + "CASE WHEN a THEN 1 END", "CASE expressions are not supported", .expression),
    ]

    @Test("rejects", arguments: cases)
    func rejects(_ parameters: String, _ data: String, _ message: String, _ code: SyncRulesIssue.Code) throws {
        let source = BucketDefinitionSource(name: "def", parameterQueries: [QuerySource(sql: parameters, line: 10,
            column: 5)], dataQueries: [QuerySource(sql: data, line: 20, column: 9)])
        let error = try #require(throws: SyncRulesError.self) { try SyncRules.parse(definitions: [source]) }
        let issue = try #require(error.issues.first { $0.message.contains(message) }, "\(error.issues)")
        #expect(issue.code == code)
        #expect(issue.severity == .error)
        #expect(issue.definition == "def")
        #expect(issue.queryIndex == 0)
        let line = try #require(issue.line)
        #expect(issue.queryKind == .parameter ? line == 10 : line >= 20)
    }

    @Test("every problem is reported, not only the first")
    func aggregates() throws {
        let yaml = """
            bucket_definitions:
              a:
                parameters: SELECT request.user_id() AS user_id LIMIT 1
                data:
                  - SELECT DISTINCT * FROM t WHERE x = bucket.user_id
                  - SELECT * FROM t WHERE upper(x) = upper(bucket.user_id) ORDER BY x
              b:
                priority: 9
                data:
                  - SELECT * FROM u
            """
        let error = try #require(throws: SyncRulesError.self) { try SyncRules.parse(yaml: yaml, file: "sync.yaml") }
        let messages = error.errors.map(\.message)
        #expect(messages.contains("LIMIT is not supported"))
        #expect(messages.contains("DISTINCT is not supported"))
        #expect(messages.contains("ORDER BY is not supported"))
        #expect(messages.contains("Cannot use bucket parameters in expressions"))
        #expect(messages.contains { $0.hasPrefix("Invalid priority") })
        #expect(error.description.contains("sync.yaml:3:"))
        #expect(error.description.contains("[STACK-S103]"))
        let distinct = try #require(error.issues.first { $0.message == "DISTINCT is not supported" })
        #expect(distinct.definition == "a")
        #expect(distinct.queryIndex == 0)
        #expect(distinct.line == 5)
        #expect(distinct.column == 16)
        let orderBy = try #require(error.issues.first { $0.message == "ORDER BY is not supported" })
        #expect(orderBy.queryIndex == 1)
        #expect(orderBy.line == 6)
    }

    @Test("both a priority key and a _priority column is an error")
    func prioritySetTwice() throws {
        let yaml = """
            bucket_definitions:
              a:
                priority: 1
                parameters: SELECT request.user_id() AS user_id, 0 AS _priority
                data: [SELECT * FROM t WHERE x = bucket.user_id]
            """
        #expect(issues(yaml).contains { $0.message == "Cannot set priority multiple times." && $0.code == .priority })
    }

    @Test("client-controlled parameter queries warn unless accepted")
    func dangerous() throws {
        let yaml = """
            bucket_definitions:
              a:
                parameters: SELECT request.parameters() ->> 'project_id' AS project_id
                data: [SELECT * FROM t WHERE x = bucket.project_id]
            """
        let compiled = try rules(yaml)
        let warning = try #require(compiled.warnings.first)
        #expect(warning.code == .dangerousQuery)
        #expect(warning.severity == .warning)
        #expect(warning.message.hasPrefix("Potentially dangerous query"))
        let safe = try rules("""
            bucket_definitions:
              a:
                parameters: >-
                  SELECT id AS p FROM projects
                  WHERE org = request.jwt() ->> 'org' AND id = request.parameters() ->> 'p'
                data: [SELECT * FROM t WHERE x = bucket.p]
            """)
        #expect(!safe.warnings.contains { $0.code == .dangerousQuery })
    }

    @Test("unquoted upper-case identifiers warn and are lower-cased")
    func identifierCase() throws {
        let compiled = try rules("""
            bucket_definitions:
              a:
                data:
                  - SELECT id, Title FROM Todos
            """)
        #expect(compiled.warnings.filter { $0.code == .identifierCase }.count == 2)
        #expect(compiled.warnings.contains { $0.message.contains(#"Use "Title" instead"#) })
        #expect(compiled.tables == [TableReference(name: "todos")])
    }

    @Test("bucket parameters must match across parameter queries")
    func mismatchedParameters() throws {
        let yaml = """
            bucket_definitions:
              a:
                parameters:
                  - SELECT request.user_id() AS user_id
                  - SELECT token_parameters.org AS org
                data: [SELECT * FROM t WHERE x = bucket.user_id]
            """
        let problem = try #require(issues(yaml).first { $0.code == .bucketParameters })
        #expect(problem.queryIndex == 1)
        #expect(problem.message.hasPrefix("Bucket parameters must match"))
    }
}
