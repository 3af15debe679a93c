import Testing

@testable import StackSyncRules

@Suite("Expression evaluation (SQLite semantics)")
struct ExpressionTests {
    static let cases: [(String, SQLiteValue)] = [
        ("5 / 2", 2),
        ("5 / 2.0", 2.5),
        ("-7 / 2", -3),
        ("5 / 0", nil),
        ("5.0 / 0", nil),
        ("1 + NULL", nil),
        ("'3' + 4", 7),
        ("'2.5' * 2", 5.0),
        ("'abc' + 1", 1),
        ("9223372036854775807 + 1", 9223372036854775808.0),
        ("7 - 10", -3),
        ("1 = 1", 1),
        ("1 = 1.0", 1),
        ("1 = '1'", 0),
        ("'a' < 'b'", 1),
        ("2 > 10", 0),
        ("'10' > 9", 1),
        ("NULL = NULL", nil),
        ("1 != NULL", nil),
        ("NULL IS NULL", 1),
        ("1 IS NOT NULL", 1),
        ("NOT 0", 1),
        ("NOT NULL", 1),
        ("1 AND NULL", 0),
        ("0 OR 2", 1),
        ("TRUE", 1),
        ("FALSE", 0),
        ("'a' || 'b' || 1", "ab1"),
        ("'a' || NULL", nil),
        ("'it''s'", "it's"),
        ("2 IN '[1,2,3]'", 1),
        ("4 IN '[1,2,3]'", 0),
        ("'x' IN '[\"x\"]'", 1),
        ("NULL IN '[1]'", nil),
        ("'{\"a\":{\"b\":3}}' ->> 'a.b'", 3),
        ("'{\"a\":{\"b\":3}}' -> 'a'", "{\"b\":3}"),
        ("'{\"a\":null}' ->> 'a'", "null"),
        ("'{\"a\":null}' -> 'a'", nil),
        ("'{\"a\":1}' ->> 'missing'", nil),
        ("'{\"a\":true}' ->> 'a'", 1),
        ("'{\"a\":1.5}' ->> 'a'", 1.5),
        ("'{\"a\":[1,2]}' ->> 'a'", "[1,2]"),
        ("'{\"a\":[1,2]}' ->> '$.a'", "[1,2]"),
        ("'[10,20]' ->> '1'", 20),
        ("json_extract('{\"a\":{\"b\":\"x\"}}', '$.a.b')", "x"),
        ("json_array_length('[1,2,3]')", 3),
        ("json_array_length('{}')", 0),
        ("json_array_length(NULL)", nil),
        ("json_valid('{')", 0),
        ("json_valid('[1]')", 1),
        ("json_keys('{\"b\":1,\"a\":2}')", "[\"b\",\"a\"]"),
        ("upper('abc')", "ABC"),
        ("lower('ÀB')", "àb"),
        ("upper(NULL)", nil),
        ("length('héllo')", 5),
        ("length(NULL)", nil),
        ("length(123)", 3),
        ("substring('hello', 2)", "ello"),
        ("substring('hello', 2, 3)", "ell"),
        ("substring('hello', -3)", "llo"),
        ("substring('hello', 0, 2)", "h"),
        ("hex('Az')", "417A"),
        ("hex(NULL)", ""),
        ("base64('hello')", "aGVsbG8="),
        ("typeof(1)", "integer"),
        ("typeof(1.5)", "real"),
        ("typeof('x')", "text"),
        ("typeof(NULL)", "null"),
        ("typeof(CAST('a' AS blob))", "blob"),
        ("ifnull(NULL, 'd')", "d"),
        ("ifnull('v', 'd')", "v"),
        ("iif(1 > 0, 'yes', 'no')", "yes"),
        ("iif(NULL, 'yes', 'no')", "no"),
        ("instr('hello', 'll')", 3),
        ("instr('hello', 'z')", 0),
        ("CAST('42abc' AS integer)", 42),
        ("CAST(3.9 AS integer)", 3),
        ("CAST(-3.5 AS integer)", -4),
        ("CAST('1.5e1' AS numeric)", 15.0),
        ("CAST(' 12 ' AS numeric)", 12),
        ("CAST(3 AS real)", 3.0),
        ("CAST(3.0 AS text)", "3"),
        ("CAST(314 AS text)", "314"),
        ("'12' :: integer + 1", 13),
        ("unixepoch('2024-01-02T03:04:05Z')", 1704164645),
        ("unixepoch('2024-01-02 03:04:05')", 1704164645),
        ("unixepoch('2024-01-02T05:04:05+02:00')", 1704164645),
        ("unixepoch('2024-01-02 03:04:05.250', 'subsec')", 1704164645.25),
        ("datetime(1704164645, 'unixepoch')", "2024-01-02 03:04:05"),
        ("datetime('2024-01-02T03:04:05.678Z', 'subsec')", "2024-01-02 03:04:05.678"),
        ("datetime(2460311.5)", "2024-01-02 00:00:00"),
        ("datetime('garbage')", nil),
        ("-(3)", -3),
        ("2 + 3 * 4", 14),
        ("(2 + 3) * 4", 20),
    ]

    @Test("evaluates", arguments: cases)
    func evaluates(_ expression: String, _ expected: SQLiteValue) throws {
        #expect(try evaluate(expression) == expected)
    }

    @Test("column references read the row, missing columns are NULL")
    func columns() throws {
        let row: SQLiteRow = ["id": "r1", "n": 7, "tags": "[\"a\",\"b\"]", "doc": "{\"k\":\"v\"}"]
        #expect(try evaluate("n * 2", row: row) == 14)
        #expect(try evaluate("t.n + 1", row: row) == 8)
        #expect(try evaluate("nothing", row: row) == .null)
        #expect(try evaluate("'b' IN tags", row: row) == 1)
        #expect(try evaluate("doc ->> 'k'", row: row) == "v")
    }

    @Test("blob outputs are dropped from the synced data")
    func blobsDropped() throws {
        let value = try evaluate("CAST('x' AS blob)")
        #expect(value == nil)
        #expect(try evaluate("hex(CAST('x' AS blob))") == "78")
    }

    @Test("IN on a non-array is a row error; on a constant it is a compile error")
    func inRequiresArray() throws {
        #expect(throws: SQLEvaluationError.self) { try evaluate("1 IN arr", row: ["id": "1", "arr": "nope"]) }
        #expect(throws: SyncRulesError.self) { try evaluate("1 IN 'nope'") }
    }

    @Test("invalid JSON in ->> is a row error")
    func invalidJSON() throws {
        #expect(throws: SQLEvaluationError.self) { try evaluate("doc ->> 'a'", row: ["id": "1", "doc": "{oops"]) }
    }

    @Test("JavaScript number formatting", arguments: [
        (314.0, "314"), (3.14, "3.14"), (1e21, "1e+21"), (1e-7, "1e-7"), (0.000001, "0.000001"),
        (123456789012345680000.0, "123456789012345680000"), (-2.5, "-2.5"), (0.1 + 0.2, "0.30000000000000004"),
    ])
    func javascriptNumbers(_ value: Double, _ expected: String) {
        #expect(JavaScriptNumber.format(value) == expected)
    }
}
