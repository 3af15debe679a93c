import StackFuzzing
import Testing

@testable import StackSyncRules

/// Garbled sync-rules SQL and YAML: a list of issues or compiled rules (then evaluated on random rows and
/// requests), never a trap. `STACK_FUZZ_COUNT=200000 swift test --filter StackSyncRulesTests.FuzzTests`.
@Suite struct FuzzTests {
    static let dataQueries = [
        "SELECT * FROM documents WHERE owner_id = bucket.user_id",
        "SELECT id, title AS t, upper(title) AS u, length(body) AS n FROM documents WHERE owner_id = bucket.user_id",
        "SELECT id, n * 2 + 1 AS v, n / 0 AS z, -n AS m, n % 3 AS r FROM t WHERE a = bucket.user_id",
        "SELECT id, doc ->> 'a' AS a, doc -> '$.b[0]' AS b, json_extract(doc, '$.c') AS c FROM t WHERE a = bucket.user_id",
        "SELECT id, CAST(n AS text) AS s, CAST(s AS integer) AS i, CAST(s AS real) AS r, CAST('x' AS blob) AS b FROM t WHERE a = bucket.user_id",
        "SELECT id, substring(title, 2, 3) AS s, hex(title) AS h, base64(title) AS b, typeof(n) AS y FROM t WHERE a = bucket.user_id",
        "SELECT id, ifnull(a, 'x') AS f, iif(n > 1, 'big', 'small') AS i, instr(title, 'a') AS p FROM t WHERE a = bucket.user_id",
        "SELECT id, json_array_length(tags) AS n, json_valid(tags) AS v, json_keys(doc) AS k FROM t WHERE a = bucket.user_id",
        "SELECT id, unixepoch(created) AS u, datetime(created, 'unixepoch') AS d, uuid_blob(id) AS g FROM t WHERE a = bucket.user_id",
        "SELECT id, 'a' || title || 1 AS c, 9223372036854775807 + 1 AS big, 1e308 * 10 AS inf FROM t WHERE a = bucket.user_id",
        "SELECT * FROM t WHERE a = bucket.user_id AND b IS NOT NULL AND NOT c AND (d = 1 OR e != 2)",
        "SELECT * FROM t WHERE a = bucket.user_id AND 'b' IN tags AND n IN '[1,2,3]' AND x NOT IN '[1]'",
        "SELECT * FROM \"Quoted Table\" AS q WHERE q.\"Owner\" = bucket.user_id",
        "SELECT * FROM t WHERE tags IN bucket.group_ids",
        "SELECT id, lower(title) AS title FROM t WHERE a = bucket.user_id AND created > 0 AND created <= 1e12",
    ]
    static let parameterQueries = [
        "SELECT request.user_id() AS user_id",
        "SELECT id AS user_id FROM users WHERE id = request.user_id()",
        "SELECT group_id AS user_id FROM members WHERE user_id = request.user_id() AND role IN '[\"a\",\"b\"]'",
        "SELECT token_parameters.user_id AS user_id",
        "SELECT request.jwt() ->> 'sub' AS user_id, request.parameters() ->> 'p' AS p",
        "SELECT value AS user_id FROM json_each(request.jwt() -> 'groups')",
        "SELECT request.user_id() AS user_id, 1 AS _priority",
    ]
    static let sqlTokens = [
        "SELECT ", " FROM ", " WHERE ", " AND ", " OR ", " NOT ", " IN ", " IS ", " NULL ", " AS ", " CAST(", " ON ",
        " JOIN ", " LIKE ", " GROUP BY ", " ORDER BY ", " LIMIT ", " DISTINCT ", "*", ".", "(", ")", ",", "'", "\"",
        "->>", "->", "||", "=", "!=", "<>", "<=", ">=", "+", "-", "/", "%", "bucket.", "request.user_id()",
        "request.jwt()", "request.parameters()", "token_parameters.", "upper(", "json_extract(", "datetime(", "$1",
        "?", ";", "--", "/*", "X'00'", "x'zz'", "0x7fffffffffffffff", "1e400", "-9223372036854775808",
        "9223372036854775808", "'unterminated", "\"", "`", "[", "]", "::", "@", "#", "é", "😀",
    ]

    @Test func garbledQueriesCompileOrListIssues() async {
        await onOwnThread {
            let data = ByteMutator(seeds: Self.dataQueries.map { Array($0.utf8) }, dictionary: Self.sqlTokens)
            let parameters = ByteMutator(
                seeds: Self.parameterQueries.map { Array($0.utf8) }, dictionary: Self.sqlTokens)
            var run = FuzzRun("sync-rules SQL", count: 20_000, seconds: 6)
            for index in run.indices {
                var random = run.random(index)
                let dataSQL = random.chance(80) ? Self.text(data.mutant(using: &random)) : random.pick(Self.dataQueries)
                let parameterSQL =
                    random.chance(50)
                    ? Self.text(parameters.mutant(using: &random)) : random.pick(Self.parameterQueries)
                let source = BucketDefinitionSource(
                    name: "b", parameterQueries: [QuerySource(sql: parameterSQL)],
                    dataQueries: [QuerySource(sql: dataSQL)])
                do throws(SyncRulesError) {
                    let rules = try SyncRules.parse(definitions: [source])
                    run.record(accepted: true)
                    Self.exercise(rules, using: &random)
                } catch {
                    #expect(!error.errors.isEmpty, "\(run.origin(index)): thrown without an error issue")
                    #expect(error.errors.allSatisfy { !$0.message.isEmpty }, "\(run.origin(index))")
                    _ = error.description
                    run.record(accepted: false)
                }
            }
            run.report()
            #expect(run.sawBothOutcomes, "\(run.summary)")
        }
    }

    @Test func garbledYAMLCompilesOrListsIssues() async throws {
        try await onOwnThread {
            let documents = [
                try fixture("seed.yaml"),
                """
                bucket_definitions:
                  global:
                    data:
                      - SELECT * FROM lists
                  by_user:
                    priority: 1
                    accept_potentially_dangerous_queries: true
                    parameters:
                      - SELECT request.user_id() AS user_id
                      - SELECT id AS user_id FROM users WHERE id = request.user_id()
                    data:
                      - SELECT id, upper(title) AS title FROM documents WHERE owner_id = bucket.user_id
                """,
            ]
            let mutator = ByteMutator(
                seeds: documents.map { Array($0.utf8) },
                dictionary: [
                    "\n", "  ", "- ", ": ", "bucket_definitions:", "data:", "parameters:", "priority: 9", "&a ", "*a",
                    "!!binary ", "? ", "|\n", ">-\n", "{", "}", "[", "]", "#", "---\n", "...\n", "%YAML 1.1\n", "\t",
                ]
                    + Self.sqlTokens)
            var run = FuzzRun("sync-rules YAML", count: 5_000, seconds: 5)
            for index in run.indices {
                var random = run.random(index)
                let yaml = Self.text(mutator.mutant(using: &random))
                do throws(SyncRulesError) {
                    let rules = try SyncRules.parse(yaml: yaml, file: "fuzz.yaml")
                    run.record(accepted: true)
                    Self.exercise(rules, using: &random)
                } catch {
                    #expect(!error.errors.isEmpty, "\(run.origin(index)): thrown without an error issue")
                    _ = error.description
                    run.record(accepted: false)
                }
            }
            run.report()
            #expect(run.sawBothOutcomes, "\(run.summary)")
        }
    }

    /// Evaluates compiled rules on a random row of every table they read and on a random request.
    static func exercise(_ rules: SyncRules, using random: inout FuzzRandom) {
        for table in rules.tables {
            let row = randomRow(using: &random)
            _ = rules.evaluateRowWithErrors(schema: table.schema, table: table.name, row: row)
            _ = rules.evaluateParameterRowWithErrors(schema: table.schema, table: table.name, row: row)
        }
        let request = RequestParameters(
            userID: random.pick(["u1", "", "'", "\u{0}", String(repeating: "x", count: 5_000)]),
            jwtClaims: ["groups": randomJSON(depth: 2, using: &random), "sub": randomJSON(depth: 1, using: &random)],
            clientParameters: ["p": randomJSON(depth: 2, using: &random)])
        let querier = rules.querier(for: request)
        var results: [ParameterLookup: [SQLiteRow]] = [:]
        for lookup in querier.lookups { results[lookup] = [randomRow(using: &random)] }
        _ = querier.resolveBuckets(lookupResults: results)
    }

    static func randomRow(using random: inout FuzzRandom) -> SQLiteRow {
        let names = [
            "id", "owner_id", "title", "body", "n", "doc", "tags", "created", "a", "b", "s", "user_id",
            "group_id", "role", "Owner", "x",
        ]
        var row: [String: SQLiteValue] = [:]
        for name in names where random.chance(80) { row[name] = randomValue(using: &random) }
        return SQLiteRow(row)
    }

    static func randomValue(using random: inout FuzzRandom) -> SQLiteValue {
        switch random.int(0..<9) {
        case 0: return .null
        case 1: return .integer(random.pick([0, 1, -1, Int64.max, Int64.min, 1_700_000_000, 1_700_000_000_000]))
        case 2: return .real(random.pick([0.5, -0.0, .infinity, -.infinity, .nan, 1e308, 5e-324, 1.7e9]))
        case 3: return .blob((0..<random.int(0...20)).map { _ in UInt8.random(in: 0...255, using: &random) })
        case 4: return .text(FuzzJSON.random(depth: 3, using: &random).text)
        case 5: return .text(random.pick(["[1,2,3]", "{\"a\":1,\"b\":[1]}", "[", "{\"a\":", "\"x\"", "null", ""]))
        case 6: return .text(random.pick(["2024-05-01 12:00:00", "9999-99-99", "-1", "1e999", "now", "\u{0}"]))
        case 7: return .text(String(repeating: random.pick(["a", "é", "{["]), count: random.int(0...3_000)))
        default: return .text(random.pick(["u1", "g1", "a", "b", "x"]))
        }
    }

    static func randomJSON(depth: Int, using random: inout FuzzRandom) -> StackSyncRules.JSONValue {
        (try? StackSyncRules.JSONValue.parse(FuzzJSON.random(depth: depth, using: &random).text)) ?? .null
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}

/// The inputs the fuzzer found overflowing the stack, kept as fixed cases.
@Suite struct DeepExpressionTests {
    @Test func deepNestingAndLongChainsAreSyntaxErrors() async {
        await onOwnThread {
            let deep = String(repeating: "(", count: 5_000) + "1" + String(repeating: ")", count: 5_000)
            let chain = Array(repeating: "a", count: 5_000).joined(separator: " || ")
            let negations = String(repeating: "NOT ", count: 5_000) + "a"
            for expression in [
                deep, chain, negations, String(repeating: "- ", count: 5_000) + "1",
                "a" + String(repeating: "::text", count: 5_000),
            ] {
                let source = BucketDefinitionSource(
                    name: "b", dataQueries: [QuerySource(sql: "SELECT id, \(expression) AS v FROM t")])
                #expect(throws: SyncRulesError.self) { try SyncRules.parse(definitions: [source]) }
            }
        }
    }
}
