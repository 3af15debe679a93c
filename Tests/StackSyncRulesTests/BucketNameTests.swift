import Testing

@testable import StackSyncRules

@Suite("Bucket names and lookup keys as PowerSync serialises them")
struct BucketNameTests {
    static let cases: [([SQLiteValue], String?, String)] = [
        (["v1", 2], nil, #"def["v1",2]"#),
        ([], nil, "def[]"),
        ([314, 3.14, 314.0], nil, "def[314,3.14,314]"),
        ([.null], nil, "def[null]"),
        (["a\"b\\c\n\u{01}é"], nil, #"def["a\"b\\c\n\u0001é"]"#),
        (["abc"], "1", #"1#def["abc"]"#),
        ([1e21, -0.5], "12", "12#def[1e+21,-0.5]"),
    ]

    @Test("serialises", arguments: cases)
    func serialises(_ values: [SQLiteValue], _ streamID: String?, _ expected: String) {
        #expect(BucketNames.name(definition: "def", parameters: values, streamID: streamID) == expected)
    }

    @Test("booleans from JWT claims become 1 and 0")
    func booleans() throws {
        let compiled = try rules(
            """
            bucket_definitions:
              flags:
                parameters: SELECT token_parameters.a AS a, token_parameters.b AS b
                data:
                  - SELECT * FROM t WHERE a = bucket.a AND b = bucket.b
            """)
        let request = RequestParameters(userID: "u", jwtClaims: ["parameters": ["a": true, "b": false]])
        #expect(compiled.buckets(for: request).map(\.name) == ["flags[1,0]"])
    }

    @Test("a one-parameter equality filter gives what the general parameter match gives")
    func equalityShortcut() throws {
        let compiled = try rules(
            """
            bucket_definitions:
              mine:
                parameters: SELECT request.user_id() AS user_id
                data:
                  - SELECT id, title FROM docs WHERE owner_id = bucket.user_id
                  - SELECT id FROM docs WHERE lower(owner_id) = bucket.user_id
              both:
                parameters: SELECT request.user_id() AS user_id, token_parameters.team AS team
                data:
                  - SELECT id FROM docs WHERE owner_id = bucket.user_id AND team = bucket.team
            """)
        let rows: [SQLiteRow] = [
            ["id": "d1", "title": "t", "owner_id": "U1", "team": 1],
            ["id": "d2", "owner_id": 7, "team": 2.5],
            ["id": "d3", "owner_id": nil],
            ["id": "d4", "owner_id": .blob([1, 2])],
            ["id": "d5", "title": "no owner column"],
            ["id": "d6", "owner_id": 1.5, "team": "x"],
        ]
        let queries = compiled.definitions.flatMap(\.dataQueries)
        #expect(queries.map { $0.equality != nil } == [true, true, false])
        for query in queries {
            for row in rows {
                // The general path: every match assignment, read in bucket-parameter order.
                let general = try query.filter.filterRow(row).map { match in
                    query.bucketParameterKeys.map { match[$0] ?? .null }
                }
                let evaluated = try query.evaluate(table: "docs", row: row)
                #expect(evaluated.map(\.parameters) == general, "\(query.sql) on \(row.jsonText)")
            }
        }
        // A text, integer or real owner matches, with its value as the bucket parameter; NULL, a blob and no column
        // match nothing.
        let owners = try rows.flatMap { try queries[0].evaluate(table: "docs", row: $0).map(\.parameters) }
        #expect(owners == [["U1"], [7], [1.5]])
    }

    @Test("lookups normalise integral reals so 1 and 1.0 match")
    func lookupNormalisation() {
        let a = ParameterLookup(definition: "d", queryID: "1", values: [1.0])
        let b = ParameterLookup(definition: "d", queryID: "1", values: [1])
        #expect(a == b)
        #expect(a.serializedKey == #"["d","1",1]"#)
        #expect(
            ParameterLookup(definition: "d", queryID: "2", values: [1.5, "x"]).serializedKey
                == #"["d","2",1.5,"x"]"#)
    }

    @Test("row JSON keeps integral reals typed and drops blobs")
    func rowJSON() {
        let row: SQLiteRow = ["id": "1", "r": 2.0, "i": 2, "n": nil, "b": .blob([1])]
        #expect(row.jsonText == #"{"id":"1","r":2.0,"i":2,"n":null}"#)
    }

    @Test("a later duplicate column replaces the earlier value in its place")
    func duplicateColumns() {
        let row = SQLiteRow([
            SQLiteColumn(name: "a", value: 1), SQLiteColumn(name: "b", value: 2), SQLiteColumn(name: "a", value: 3),
        ])
        #expect(row.names == ["a", "b"])
        #expect(row["a"] == 3)
        #expect(SQLiteRow([SQLiteColumn(name: "x", value: 1), SQLiteColumn(name: "y", value: 2)]).names == ["x", "y"])
    }

    @Test("row JSON is the JSON object of its JSON-compatible columns, escaped, in column order")
    func rowJSONMatchesTheObjectRendering() throws {
        let rows: [SQLiteRow] = [
            [:],
            ["b": .blob([0]), "x": "first after a blob"],
            ["q\"uote": "tab\there\n", "e": 1e300, "neg": -0.5, "big": .integer(Int64.max), "ü": "🙂"],
            ["only": .blob([1, 2])],
        ]
        for row in rows {
            let object = JSONValue.object(
                row.columns.compactMap { column in
                    column.value.jsonValue.map { JSONMember(key: column.name, value: $0) }
                })
            #expect(row.jsonText == object.jsonText(preserveRealType: true))
            #expect(try JSONValue.parse(row.jsonText) == object)
        }
    }

    @Test(
        "JSON parser keeps integer vs real and key order",
        arguments: [
            (#"{"b":1,"a":[true,null,1.5,"x"]}"#, #"{"b":1,"a":[true,null,1.5,"x"]}"#),
            (#"  [1e2, -0, 12345678901234567890] "#, "[100.0,0,12345678901234567000.0]"),
            (#""\u00e9\ud83d\ude00""#, "\"é😀\""),
        ])
    func jsonRoundTrip(_ input: String, _ expected: String) throws {
        #expect(try JSONValue.parse(input).jsonText() == expected)
    }

    @Test("invalid JSON is rejected", arguments: ["{", "[1,]", "01", "\"a", "tru", "{\"a\" 1}", "1 2"])
    func invalidJSON(_ input: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(input) }
    }

    @Test("the name memo gives what BucketNames builds, for repeated and changing parameters alike")
    func memoMatchesBuilder() {
        var memo = BucketNameMemo()
        let cases: [(String, [SQLiteValue], String?)] = [
            ("by_user", [.text("u1")], "1"), ("by_user", [.text("u1")], "1"), ("by_user", [.text("u2")], "1"),
            ("by_user", [.text("u2")], "2"), ("by_user", [.text("u2")], nil), ("other", [.text("u2")], nil),
            ("by_user", [.text("u2")], nil), ("pair", [.integer(3), .null], "1"), ("pair", [.integer(3), .null], "1"),
            ("pair", [.real(3.5), .null], "1"), ("pair", [.real(3.5), .null], "1"),
            ("pair", [.integer(4), .null], "1"),
            ("pair", [.integer(4)], "1"), ("pair", [], "1"),
            // Canonically equivalent texts are equal to Swift's `==`, but their names differ byte for byte.
            ("by_user", [.text("caf\u{E9}")], "1"), ("by_user", [.text("cafe\u{301}")], "1"),
            ("by_user", [.text("caf\u{E9}")], "1"),
        ]
        for (definition, parameters, stream) in cases {
            let remembered = memo.name(definition: definition, parameters: parameters, streamID: stream)
            let built = BucketNames.name(definition: definition, parameters: parameters, streamID: stream)
            #expect(Array(remembered.utf8) == Array(built.utf8), "\(definition) \(parameters) \(stream ?? "-")")
        }
    }
}
