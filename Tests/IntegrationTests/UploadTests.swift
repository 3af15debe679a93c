import Foundation
import PostgresNIO
import StackTesting
import StackUpload
import Testing

/// A stack with two signed-up users and helpers for the upload endpoint.
struct UploadHarness {
    let auth: AuthHarness
    let alice: (token: String, id: String)
    let bob: (token: String, id: String)

    static func start(maxBodyBytes: Int? = nil) async throws -> UploadHarness {
        var yaml = AuthHarness.yaml()
        yaml = yaml.replacingOccurrences(
            of: "  listen: ${API_LISTEN}\n",
            with: "  listen: ${API_LISTEN}\n" + (maxBodyBytes.map { "  max_body_bytes: \($0)\n" } ?? ""))
        yaml = yaml.replacingOccurrences(
            of: "        deleted_at: timestamp\n",
            with: """
                        deleted_at: timestamp
                    notes:
                      columns:
                        id: { type: text, primary_key: true }
                        owner_id: text
                        count: integer
                        ratio: real
                        done: boolean
                        due_at: timestamp
                        meta: json
                        device_id: text

                """)
        let harness = AuthHarness(stack: try await TestStack.start(yaml: yaml))
        let alice = try await harness.signUp("alice@example.com")
        let bob = try await harness.signUp("bob@example.com")
        return UploadHarness(auth: harness, alice: (alice.token, alice.userID), bob: (bob.token, bob.userID))
    }

    var url: String { auth.api + "/api/powersync/upload" }

    func upload(_ body: String, token: String?, headers: [(String, String)] = []) async throws
        -> HTTPTestClient.Response
    {
        var all = [("content-type", "application/json")] + headers
        if let token { all.append(("authorization", "Bearer \(token)")) }
        return try await HTTPTestClient.send("PUT", url, headers: all, body: Data(body.utf8))
    }

    /// `{"transactions":[{"op_id": opID, "ops": ops}]}`.
    func transaction(_ opID: String, _ ops: [[String: Any]], clientID: String? = nil) -> String {
        var body: [String: Any] = ["transactions": [["op_id": opID, "ops": ops]]]
        if let clientID { body["client_id"] = clientID }
        return json(body)
    }

    func applied(_ response: HTTPTestClient.Response) -> [String] {
        ((try? response.json())?["applied"] as? [String]) ?? []
    }

    func rejected(_ response: HTTPTestClient.Response) -> [[String: Any]] {
        ((try? response.json())?["rejected"] as? [[String: Any]]) ?? []
    }

    /// A row as text columns (`row_to_json`), nil when absent.
    func row(_ table: String, _ id: String) async throws -> [String: Any]? {
        let rows = try await auth.sql("SELECT row_to_json(t)::text FROM \(unescaped: table) t WHERE id = \(id)")
        guard let first = rows.first else { return nil }
        let text = try first.decode(String.self)
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    func rowText(_ table: String, _ id: String) async throws -> String? {
        let rows = try await auth.sql("SELECT row_to_json(t)::text FROM \(unescaped: table) t WHERE id = \(id)")
        return try rows.first?.decode(String.self)
    }
}

@Suite("upload API")
struct UploadTests {
    @Test("PUT, PATCH, DELETE apply with owner_id from the token; camelCase keys; CrudEntry form; soft delete")
    func happyPath() async throws {
        let h = try await UploadHarness.start()
        let put = try await h.upload(
            h.transaction(
                "1",
                [
                    [
                        "op": "PUT", "table": "documents", "id": "d1",
                        "data": [
                            "title": "A", "content": "x", "ownerId": "spoofed", "pinned": 1,
                            "createdAt": "2024-05-01T12:00:00Z",
                        ],
                    ]
                ]), token: h.alice.token)
        #expect(put.status == 200, "\(put.text)")
        #expect(h.applied(put) == ["1"] && h.rejected(put).isEmpty)
        var row = try #require(try await h.row("documents", "d1"))
        #expect(row["owner_id"] as? String == h.alice.id)
        #expect(row["pinned"] as? Bool == true && row["title"] as? String == "A")
        #expect((row["created_at"] as? String)?.hasPrefix("2024-05-01T12:00:00") == true)

        let jwt = try await h.auth.jwt(session: h.alice.token)
        let patch = try await h.upload(
            h.transaction(
                "2", [["op": "PATCH", "table": "documents", "id": "d1", "data": ["title": "B", "owner_id": "x"]]]),
            token: jwt)
        #expect(h.applied(patch) == ["2"])
        row = try #require(try await h.row("documents", "d1"))
        #expect(
            row["title"] as? String == "B" && row["content"] as? String == "x"
                && row["owner_id"] as? String == h.alice.id)

        // PowerSync CrudEntry form: `type` for the table, `tx_id` for the transaction id.
        let crud = try await h.upload(
            json([
                "transactions": [["ops": [["op_id": 7, "op": "DELETE", "type": "documents", "id": "d1", "tx_id": 42]]]]
            ]),
            token: h.alice.token)
        #expect(h.applied(crud) == ["42"], "\(crud.text)")
        row = try #require(try await h.row("documents", "d1"))
        #expect(row["deleted_at"] is String)

        // A table without deleted_at: DELETE removes the row.
        _ = try await h.upload(
            h.transaction("3", [["op": "PUT", "table": "notes", "id": "n1", "data": ["count": 1]]]),
            token: h.alice.token)
        let delete = try await h.upload(
            h.transaction("4", [["op": "DELETE", "table": "notes", "id": "n1"]]), token: h.alice.token)
        #expect(h.applied(delete) == ["4"])
        #expect(try await h.row("notes", "n1") == nil)
        try await h.auth.stack.stop()
    }

    @Test("values are converted to the column types; unconvertible values name column and type")
    func conversions() async throws {
        let h = try await UploadHarness.start()
        let cases: [(column: String, value: Any, expected: String?)] = [
            ("count", 5, "5"), ("count", "12", "12"), ("count", 3.0, "3"), ("count", true, "1"),
            ("count", NSNull(), "null"),
            ("count", 2.5, nil), ("count", "abc", nil), ("count", ["x": 1], nil),
            ("ratio", 1.5, "1.5"), ("ratio", 2, "2"), ("ratio", "0.25", "0.25"), ("ratio", "x", nil),
            ("ratio", false, nil),
            ("done", true, "true"), ("done", false, "false"), ("done", 1, "true"), ("done", 0, "false"),
            ("done", "1", "true"),
            ("done", "false", "false"), ("done", 2, nil), ("done", "yes", nil), ("done", [1], nil),
            ("due_at", "2024-05-01T12:00:00Z", "\"2024-05-01T12:00:00+00:00\""),
            ("due_at", "2024-05-01T12:00:00.123Z", "\"2024-05-01T12:00:00.123+00:00\""),
            ("due_at", "2024-05-01T14:00:00+02:00", "\"2024-05-01T12:00:00+00:00\""),
            ("due_at", "2024-05-01 12:00:00", "\"2024-05-01T12:00:00+00:00\""),
            ("due_at", "2024-05-01", "\"2024-05-01T00:00:00+00:00\""),
            ("due_at", 1_714_564_800, "\"2024-05-01T12:00:00+00:00\""),
            ("due_at", 1_714_564_800_000 as Int64, "\"2024-05-01T12:00:00+00:00\""),
            ("due_at", 1_714_564_800.5, "\"2024-05-01T12:00:00.5+00:00\""),
            ("due_at", "yesterday", nil), ("due_at", true, nil),
            // The proleptic Gregorian calendar before 1582, as Postgres counts; days that do not exist are refused;
            // microseconds kept far from 1970.
            ("due_at", "1492-10-12T00:00:00Z", "\"1492-10-12T00:00:00+00:00\""),
            ("due_at", "0001-01-01T00:00:00Z", "\"0001-01-01T00:00:00+00:00\""),
            ("due_at", "9999-12-31T23:59:59.999999Z", "\"9999-12-31T23:59:59.999999+00:00\""),
            ("due_at", "5000-01-01T00:00:00.000001Z", "\"5000-01-01T00:00:00.000001+00:00\""),
            ("due_at", 1_714_564_800_123 as Int64, "\"2024-05-01T12:00:00.123+00:00\""),
            ("due_at", "2026-02-30T12:00:00Z", nil), ("due_at", "2024-05-01T24:00:00Z", nil),
            ("due_at", 9_000_000_000_000_000_000 as Int64, nil),
            ("meta", ["a": 1], "{\"a\": 1}"), ("meta", "{\"b\":[1,2]}", "{\"b\": [1, 2]}"),
            ("meta", "plain", "\"plain\""),
            ("meta", 3, "3"), ("meta", [1, "x"], "[1, \"x\"]"),
            ("device_id", "dev", "\"dev\""), ("device_id", "é\"\\/🔑\n", "\"é\\\"\\\\/🔑\\n\""),
            ("device_id", 42, "\"42\""), ("device_id", true, nil), ("device_id", ["x"], nil),
        ]
        for (index, test) in cases.enumerated() {
            let id = "c\(index)"
            let key = index % 2 == 0 ? test.column : UploadHarnessKeys.camel(test.column)
            let response = try await h.upload(
                h.transaction(id, [["op": "PUT", "table": "notes", "id": id, "data": [key: test.value]]]),
                token: h.alice.token)
            #expect(response.status == 200)
            if let expected = test.expected {
                #expect(h.applied(response) == [id], "\(test.column)=\(test.value): \(response.text)")
                let stored = try await h.auth.sql(
                    "SELECT to_json(\(unescaped: test.column))::text FROM notes WHERE id = \(id)")
                let text = try stored.first?.decode(String?.self) ?? "null"
                #expect(text == expected, "\(test.column)=\(test.value)")
            } else {
                let rejection = try #require(h.rejected(response).first, "\(test.column)=\(test.value) was accepted")
                #expect(rejection["code"] as? String == "INVALID_VALUE")
                let message = rejection["message"] as? String ?? ""
                #expect(message.contains(test.column) && message.contains("cannot take a"), "\(message)")
                #expect(try await h.row("notes", id) == nil)
            }
        }
        // A PATCH binds its one row's values one by one: the same exact instant.
        let patch = try await h.upload(
            h.transaction(
                "p1",
                [["op": "PATCH", "table": "notes", "id": "c0", "data": ["due_at": "1492-10-12T00:00:00.000001Z"]]]),
            token: h.alice.token)
        #expect(h.applied(patch) == ["p1"])
        let patched = try await h.auth.sql("SELECT to_json(due_at)::text FROM notes WHERE id = 'c0'")
        #expect(try patched.first?.decode(String.self) == "\"1492-10-12T00:00:00.000001+00:00\"")
        try await h.auth.stack.stop()
    }

    @Test("numbers keep their literal text in text and json columns; numbers a column cannot hold are op rejections")
    func numberLiterals() async throws {
        let h = try await UploadHarness.start()
        // Raw bodies: the literals must reach the server exactly as written here.
        func put(_ id: String, _ column: String, _ literal: String) -> String {
            #"{"op_id":"\#(id)","ops":[{"op":"PUT","table":"notes","id":"\#(id)","data":{"\#(column)":\#(literal)}}]}"#
        }
        let stored: [(column: String, literal: String, sql: String)] = [
            ("device_id", "12345678901234567890", #""12345678901234567890""#),
            ("device_id", "1e2", #""1e2""#), ("device_id", "-0", #""-0""#), ("device_id", "1e400", #""1e400""#),
            ("device_id", "0.1", #""0.1""#), ("device_id", "-12.50E+3", #""-12.50E+3""#),
            ("meta", #"{"big":12345678901234567890123}"#, #"{"big": 12345678901234567890123}"#),
            ("meta", #""{\"big\":12345678901234567890123.5}""#, #"{"big": 12345678901234567890123.5}"#),
            ("meta", "[1e2,0.50]", "[100, 0.50]"),
            ("count", "1e2", "100"), ("count", "9223372036854775807", "9223372036854775807"),
            ("ratio", "1e2", "100"),
        ]
        let refused: [(column: String, literal: String)] = [
            ("count", "1e400"), ("count", "12345678901234567890"), ("count", "-9223372036854775809"),
            ("ratio", "1e400"), ("ratio", "-1e400"), ("due_at", "1e400"),
        ]
        var transactions: [String] = []
        for (index, test) in stored.enumerated() { transactions.append(put("s\(index)", test.column, test.literal)) }
        for (index, test) in refused.enumerated() { transactions.append(put("r\(index)", test.column, test.literal)) }
        let response = try await h.upload(
            #"{"transactions":[\#(transactions.joined(separator: ","))]}"#, token: h.alice.token)
        #expect(response.status == 200, "\(response.text)")
        #expect(h.applied(response) == stored.indices.map { "s\($0)" }, "\(response.text)")
        let rejections = h.rejected(response)
        #expect(rejections.map { $0["op_id"] as? String } == refused.indices.map { "r\($0)" })
        for (rejection, test) in zip(rejections, refused) {
            #expect(rejection["code"] as? String == "INVALID_VALUE", "\(test)")
            #expect((rejection["message"] as? String)?.contains("cannot take a number value beyond") == true)
        }
        for (index, test) in stored.enumerated() {
            let rows = try await h.auth.sql(
                "SELECT to_json(\(unescaped: test.column))::text FROM notes WHERE id = \("s\(index)")")
            #expect(try rows.first?.decode(String.self) == test.sql, "\(test.column) = \(test.literal)")
        }
        // A json column holds a number beyond the double range exactly too (jsonb numbers are numeric).
        let huge = try await h.upload(
            #"{"transactions":[\#(put("h", "meta", "1e400"))]}"#, token: h.alice.token)
        #expect(h.applied(huge) == ["h"], "\(huge.text)")
        let exact = try await h.auth.sql("SELECT (meta = '1e400'::jsonb)::text FROM notes WHERE id = 'h'")
        #expect(try exact.first?.decode(String.self) == "true")
        try await h.auth.stack.stop()
    }

    @Test("a failing op rolls back the whole client transaction")
    func atomicity() async throws {
        let h = try await UploadHarness.start()
        let cases: [[String: Any]] = [
            ["op": "PUT", "table": "notes", "id": "a2", "data": ["count": "not a number"]],
            ["op": "PUT", "table": "notes", "id": "a2", "data": ["nope": 1]],
            ["op": "PUT", "table": "documents", "id": "a2", "data": ["content": NSNull()]],
            ["op": "MERGE", "table": "notes", "id": "a2"],
            ["op": "PUT", "table": "preferences", "id": "a2"],
        ]
        for (index, second) in cases.enumerated() {
            let response = try await h.upload(
                h.transaction(
                    "t\(index)", [["op": "PUT", "table": "notes", "id": "a1-\(index)", "data": ["count": 1]], second]),
                token: h.alice.token)
            #expect(response.status == 200)
            #expect(h.applied(response).isEmpty, "\(response.text)")
            #expect(h.rejected(response).first?["op_index"] as? Int == 1, "\(response.text)")
            #expect(try await h.row("notes", "a1-\(index)") == nil)
        }
        // Later transactions in the same request still apply.
        let body = json([
            "transactions": [
                ["op_id": "bad", "ops": [["op": "PUT", "table": "notes", "id": "x1", "data": ["count": "x"]]]],
                ["op_id": "good", "ops": [["op": "PUT", "table": "notes", "id": "x2", "data": ["count": 2]]]],
            ]
        ])
        let mixed = try await h.upload(body, token: h.alice.token)
        #expect(h.applied(mixed) == ["good"] && h.rejected(mixed).first?["op_id"] as? String == "bad")
        try await h.auth.stack.stop()
    }

    @Test("no cross-user write: PUT over, PATCH, DELETE and spoofed owner_id leave the victim's row byte-identical")
    func crossUser() async throws {
        let h = try await UploadHarness.start()
        _ = try await h.upload(
            h.transaction(
                "v1",
                [["op": "PUT", "table": "documents", "id": "victim", "data": ["title": "mine", "content": "secret"]]]),
            token: h.alice.token)
        let before = try #require(try await h.rowText("documents", "victim"))
        let attacks: [[String: Any]] = [
            ["op": "PUT", "table": "documents", "id": "victim", "data": ["title": "pwned", "content": "x"]],
            ["op": "PUT", "table": "documents", "id": "victim", "data": ["title": "pwned", "owner_id": h.alice.id]],
            ["op": "PATCH", "table": "documents", "id": "victim", "data": ["title": "pwned"]],
            ["op": "PATCH", "table": "documents", "id": "victim", "data": ["ownerId": h.bob.id]],
            ["op": "DELETE", "table": "documents", "id": "victim"],
        ]
        for (index, attack) in attacks.enumerated() {
            let response = try await h.upload(
                h.transaction(
                    "atk\(index)", [["op": "PUT", "table": "notes", "id": "bob-\(index)", "data": [:]], attack]),
                token: h.bob.token)
            #expect(response.status == 200)
            #expect(h.rejected(response).first?["code"] as? String == "NOT_OWNER", "\(response.text)")
            #expect(try await h.rowText("documents", "victim") == before)
            #expect(try await h.row("notes", "bob-\(index)") == nil)
        }
        // A spoofed owner_id on a new row is replaced by the caller's id.
        let spoof = try await h.upload(
            h.transaction(
                "s1",
                [["op": "PUT", "table": "documents", "id": "spoof", "data": ["content": "c", "owner_id": h.alice.id]]]),
            token: h.bob.token)
        #expect(h.applied(spoof) == ["s1"])
        #expect(try await h.row("documents", "spoof")?["owner_id"] as? String == h.bob.id)
        // A hard-delete table too.
        _ = try await h.upload(
            h.transaction("n1", [["op": "PUT", "table": "notes", "id": "anote", "data": ["count": 1]]]),
            token: h.alice.token)
        let note = try await h.rowText("notes", "anote")
        let hard = try await h.upload(
            h.transaction("n2", [["op": "DELETE", "table": "notes", "id": "anote"]]), token: h.bob.token)
        #expect(h.rejected(hard).first?["code"] as? String == "NOT_OWNER")
        #expect(try await h.rowText("notes", "anote") == note)
        try await h.auth.stack.stop()
    }

    @Test(
        "a replayed transaction is acknowledged but not applied again; idempotency is per user and client, none without a client id"
    )
    func replay() async throws {
        let h = try await UploadHarness.start()
        let first = h.transaction(
            "100", [["op": "PUT", "table": "documents", "id": "r1", "data": ["title": "A", "content": "c"]]],
            clientID: "device-1")
        #expect(h.applied(try await h.upload(first, token: h.alice.token)) == ["100"])
        let second = h.transaction(
            "101", [["op": "PATCH", "table": "documents", "id": "r1", "data": ["title": "B"]]], clientID: "device-1")
        #expect(h.applied(try await h.upload(second, token: h.alice.token)) == ["101"])
        let replayed = try await h.upload(first, token: h.alice.token)
        #expect(h.applied(replayed) == ["100"])
        #expect(try await h.row("documents", "r1")?["title"] as? String == "B")
        let markers = try await h.auth.sql("SELECT count(*)::int FROM stack_upload.applied_transactions")
        #expect(try markers[0].decode(Int.self) == 2)
        // The same op_id from another client id is a different transaction.
        let otherDevice = h.transaction(
            "100", [["op": "PATCH", "table": "documents", "id": "r1", "data": ["title": "C"]]], clientID: "device-2")
        #expect(h.applied(try await h.upload(otherDevice, token: h.alice.token)) == ["100"])
        #expect(try await h.row("documents", "r1")?["title"] as? String == "C")
        // Client id from the header.
        let viaHeader = h.transaction(
            "100", [["op": "PATCH", "table": "documents", "id": "r1", "data": ["title": "D"]]])
        _ = try await h.upload(viaHeader, token: h.alice.token, headers: [("x-client-id", "device-2")])
        #expect(try await h.row("documents", "r1")?["title"] as? String == "C")
        // Without a client id (the recipe's connector sends none) two devices' first transactions share an op id:
        // both are applied, and no marker is stored that could make a later one pass for a retry.
        let laptop = h.transaction(
            "1", [["op": "PUT", "table": "documents", "id": "laptop-1", "data": ["content": "l"]]])
        let phone = h.transaction(
            "1", [["op": "PUT", "table": "documents", "id": "phone-1", "data": ["content": "p"]]])
        #expect(h.applied(try await h.upload(laptop, token: h.alice.token)) == ["1"])
        #expect(h.applied(try await h.upload(phone, token: h.alice.token)) == ["1"])
        #expect(try await h.row("documents", "laptop-1")?["content"] as? String == "l")
        #expect(try await h.row("documents", "phone-1")?["content"] as? String == "p")
        let unscoped = try await h.auth.sql(
            "SELECT count(*)::int FROM stack_upload.applied_transactions WHERE client_id = ''")
        #expect(try unscoped[0].decode(Int.self) == 0)
        try await h.auth.stack.stop()
    }

    @Test("malformed bodies are 400, missing or bad tokens 401, oversized bodies 413")
    func malformed() async throws {
        let h = try await UploadHarness.start(maxBodyBytes: 4096)
        let bodies = [
            "", "{", "[]", "null", "42", #"{"transactions": {}}"#, #"{"transactions": [1]}"#, #"{}"#,
            #"{"transactions": [{"ops": []}]}"#, #"{"transactions": [{"op_id": "1"}]}"#,
            #"{"transactions": [{"op_id": "1", "ops": {}}]}"#, #"{"transactions": [{"op_id": true, "ops": []}]}"#,
            #"{"transactions": [{"op_id": 1.5, "ops": []}]}"#, #"{"transactions": [{"op_id": "1", "ops": [7]}]}"#,
            #"{"transactions": [{"op_id": "1", "ops": [{"op": 1, "table": "notes", "id": "a"}]}]}"#,
            #"{"transactions": [{"op_id": "1", "ops": [{"op": "PUT", "id": "a"}]}]}"#,
            #"{"transactions": [{"op_id": "1", "ops": [{"op": "PUT", "table": "notes", "id": {}}]}]}"#,
            #"{"transactions": [{"op_id": "1", "ops": [{"op": "PUT", "table": "notes", "id": "a", "data": [1]}]}]}"#,
            #"{"transactions": [], "client_id": 5}"#, #"{"transactions": [],}"#, #"{"transactions": [1,]}"#,
            #"{"transactions": [{"op_id": 01, "ops": []}]}"#, #"{"transactions": [{"op_id": 1., "ops": []}]}"#,
            #"{"transactions": [{"op_id": "\x", "ops": []}]}"#, #"{"transactions": tru}"#, "{\"transactions\": []} x",
            "{\"transactions\": [], \"client_id\": \"\u{1}\"}",
            #"{"transactions": [], "client_id": "a\u0000"}"#, #"{"transactions": [{"op_id": "\u0000", "ops": []}]}"#,
        ]
        for body in bodies {
            let response = try await h.upload(body, token: h.alice.token)
            #expect(response.status == 400, "\(body): \(response.status) \(response.text)")
            #expect(response.code == "MALFORMED_BODY")
        }
        #expect(try await h.upload(#"{"transactions": []}"#, token: h.alice.token).status == 200)
        // An op without an id is rejected alone; the request's other transactions apply.
        let noID = try await h.upload(
            #"{"transactions": [{"op_id": "n1", "ops": [{"op": "PUT", "table": "notes"}]}, {"op_id": "n2", "ops": [{"op": "PUT", "table": "notes", "id": null}]}, {"op_id": "n3", "ops": [{"op": "PUT", "table": "notes", "id": "kept", "data": {"device_id": "d"}}]}]}"#,
            token: h.alice.token)
        #expect(noID.status == 200)
        #expect(h.rejected(noID).map { $0["code"] as? String } == ["MISSING_ID", "MISSING_ID"])
        #expect(h.applied(noID) == ["n3"])
        #expect(try await h.row("notes", "kept") != nil)
        #expect(try await h.upload(#"{"transactions": []}"#, token: nil).status == 401)
        #expect(try await h.upload(#"{"transactions": []}"#, token: "garbage").status == 401)
        #expect(try await h.upload(#"{"transactions": []}"#, token: "a.b.c").status == 401)
        let jwt = try await h.auth.jwt(session: h.alice.token)
        let forged = try await h.upload(#"{"transactions": []}"#, token: String(jwt.dropLast(2)) + "xx")
        #expect(forged.status == 401 && forged.code == "INVALID_TOKEN")
        // The 401 says why, for the connector's log.
        #expect(forged.text.contains("JWT rejected: signature or format check failed"), "\(forged.text)")
        let large = json([
            "transactions": [
                [
                    "op_id": "big",
                    "ops": [
                        [
                            "op": "PUT", "table": "notes", "id": "big",
                            "data": ["device_id": String(repeating: "x", count: 5000)],
                        ]
                    ],
                ]
            ]
        ])
        let tooLarge = try await h.upload(large, token: h.alice.token)
        #expect(tooLarge.status == 413 && tooLarge.code == "PAYLOAD_TOO_LARGE")
        #expect(try await h.row("notes", "big") == nil)
        // An expired session.
        _ = try await h.auth.sql(
            #"UPDATE "session" SET "expiresAt" = now() - interval '1 second' WHERE "token" = \#(h.bob.token)"#)
        #expect(try await h.upload(#"{"transactions": []}"#, token: h.bob.token).status == 401)
        try await h.auth.stack.stop()
    }

    @Test("injection attempts in table, column and value positions are refused or stored as plain data")
    func injection() async throws {
        let h = try await UploadHarness.start()
        let payload = #"x'); DROP TABLE documents; --"#
        let attempts: [(table: String, data: [String: Any], code: String?)] = [
            (#"documents"; DROP TABLE documents; --"#, ["title": "x"], "UNKNOWN_TABLE"),
            ("documents\"", ["title": "x"], "UNKNOWN_TABLE"),
            ("public.documents", ["title": "x"], "UNKNOWN_TABLE"),
            ("DOCUMENTS", ["title": "x"], "UNKNOWN_TABLE"),
            ("documents", [#"title" = 'x', "owner_id"#: "x"], "UNKNOWN_COLUMN"),
            ("documents", ["title\"; DROP TABLE documents; --": "x"], "UNKNOWN_COLUMN"),
            ("documents", ["content": payload, "title": "$1 $2 \\' \""], nil),
        ]
        for (index, attempt) in attempts.enumerated() {
            let response = try await h.upload(
                h.transaction(
                    "i\(index)", [["op": "PUT", "table": attempt.table, "id": "inj\(index)'--", "data": attempt.data]]),
                token: h.alice.token)
            #expect(response.status == 200)
            if let code = attempt.code {
                #expect(h.rejected(response).first?["code"] as? String == code, "\(response.text)")
            } else {
                #expect(h.applied(response) == ["i\(index)"])
                #expect(try await h.row("documents", "inj\(index)'--")?["content"] as? String == payload)
            }
        }
        let tables = try await h.auth.sql("SELECT count(*)::int FROM pg_tables WHERE tablename = 'documents'")
        #expect(try tables[0].decode(Int.self) == 1)
        try await h.auth.stack.stop()
    }

    @Test("a multi-row PUT stores exactly what one-row PUTs store, NULLs and every column type included")
    func batchedEqualsSingle() async throws {
        let h = try await UploadHarness.start()
        let rows: [[String: Any]] = [
            [
                "count": 1, "ratio": 0.5, "done": true, "due_at": "2024-05-01T12:00:00.123Z", "meta": ["a": [1, "x"]],
                "device_id": "é\"\\🔑\n",
            ],
            [
                "count": NSNull(), "ratio": NSNull(), "done": NSNull(), "due_at": NSNull(), "meta": NSNull(),
                "device_id": NSNull(),
            ],
            [
                "count": "-9223372036854775808", "ratio": "1e308", "done": 0, "due_at": 1_714_564_800_000 as Int64,
                "meta": "{\"b\":null}", "device_id": 42,
            ],
            [
                "count": 3.0, "ratio": -0.0, "done": "true", "due_at": 1_714_564_800.25, "meta": "plain",
                "device_id": "",
            ],
            [
                "count": 9_223_372_036_854_775_807 as Int64, "ratio": "NaN", "done": "1",
                "due_at": "2024-05-01 12:00:00", "meta": 3, "device_id": "x",
            ],
        ]
        let batched = rows.enumerated().map {
            ["op": "PUT", "table": "notes", "id": "b\($0.offset)", "data": $0.element] as [String: Any]
        }
        #expect(h.applied(try await h.upload(h.transaction("batch", batched), token: h.alice.token)) == ["batch"])
        for (index, data) in rows.enumerated() {
            let response = try await h.upload(
                h.transaction("one-\(index)", [["op": "PUT", "table": "notes", "id": "s\(index)", "data": data]]),
                token: h.alice.token)
            #expect(h.applied(response) == ["one-\(index)"], "\(response.text)")
            let stored = try await h.auth.sql(
                """
                SELECT (to_jsonb(b) - 'id')::text, (to_jsonb(s) - 'id')::text FROM notes b, notes s
                WHERE b.id = \("b\(index)") AND s.id = \("s\(index)")
                """)
            let (fromBatch, fromSingle) = try #require(stored.first).decode((String, String).self)
            #expect(fromBatch == fromSingle, "row \(index)")
        }
        // A batch over existing rows updates the columns it names and keeps the others.
        let updates = (0..<rows.count).map {
            ["op": "PUT", "table": "notes", "id": "b\($0)", "data": ["count": 100 + $0]] as [String: Any]
        }
        #expect(h.applied(try await h.upload(h.transaction("again", updates), token: h.alice.token)) == ["again"])
        let counts = try await h.auth.sql("SELECT sum(count)::int, count(ratio)::int FROM notes WHERE id LIKE 'b%'")
        let (sum, ratios) = try counts[0].decode((Int, Int).self)
        #expect(sum == 510 && ratios == 4)
        try await h.auth.stack.stop()
    }

    @Test("a refused row inside a multi-row PUT names its own op and leaves everything unapplied")
    func batchedRejectionNamesTheOp() async throws {
        let h = try await UploadHarness.start()
        _ = try await h.upload(
            h.transaction(
                "v",
                [["op": "PUT", "table": "documents", "id": "victim", "data": ["title": "mine", "content": "secret"]]]),
            token: h.alice.token)
        let before = try #require(try await h.rowText("documents", "victim"))
        func documents(_ ids: [String], badContentAt bad: Int? = nil) -> [[String: Any]] {
            ids.enumerated().map { index, id in
                [
                    "op": "PUT", "table": "documents", "id": id,
                    "data": ["title": "t", "content": index == bad ? NSNull() : "c"] as [String: Any],
                ]
            }
        }
        // Another user's row at index 2 of a five-row batch.
        let takeover = try await h.upload(
            h.transaction("t1", documents(["k0", "k1", "victim", "k3", "k4"])), token: h.bob.token)
        #expect(h.applied(takeover).isEmpty)
        #expect(h.rejected(takeover).first?["code"] as? String == "NOT_OWNER", "\(takeover.text)")
        #expect(h.rejected(takeover).first?["op_index"] as? Int == 2, "\(takeover.text)")
        #expect(try await h.rowText("documents", "victim") == before)
        // A NOT NULL violation at index 3 (a constraint only Postgres checks).
        let violation = try await h.upload(
            h.transaction("t2", documents(["n0", "n1", "n2", "n3", "n4"], badContentAt: 3)), token: h.bob.token)
        #expect(h.rejected(violation).first?["code"] as? String == "CONSTRAINT_VIOLATION", "\(violation.text)")
        #expect(h.rejected(violation).first?["op_index"] as? Int == 3, "\(violation.text)")
        // Data Postgres refuses (a NUL character in text) at index 1.
        var nul = documents(["z0", "z1", "z2"])
        nul[1]["data"] = ["title": "a\u{0}b", "content": "c"]
        let invalid = try await h.upload(h.transaction("t3", nul), token: h.bob.token)
        #expect(h.rejected(invalid).first?["code"] as? String == "INVALID_DATA", "\(invalid.text)")
        #expect(h.rejected(invalid).first?["op_index"] as? Int == 1, "\(invalid.text)")
        let written = try await h.auth.sql("SELECT count(*)::int FROM documents WHERE owner_id = \(h.bob.id)")
        #expect(try written[0].decode(Int.self) == 0)
        // The marker rolled back with the writes: the same op_id, fixed, applies.
        let fixed = try await h.upload(
            h.transaction("t2", documents(["n0", "n1", "n2", "n3", "n4"])), token: h.bob.token)
        #expect(h.applied(fixed) == ["t2"], "\(fixed.text)")
        try await h.auth.stack.stop()
    }

    @Test("10,000 ops in one client transaction apply atomically")
    func tenThousandOps() async throws {
        let h = try await UploadHarness.start()
        var ops: [[String: Any]] = (0..<9_000).map {
            ["op": "PUT", "table": "notes", "id": "bulk-\($0)", "data": ["count": $0, "done": $0 % 2]]
        }
        ops += (0..<1_000).map { ["op": "PATCH", "table": "notes", "id": "bulk-\($0)", "data": ["ratio": 0.5]] }
        let response = try await h.upload(h.transaction("bulk", ops), token: h.alice.token)
        #expect(h.applied(response) == ["bulk"], "\(response.text.prefix(300))")
        let counts = try await h.auth.sql(
            "SELECT count(*)::int, count(ratio)::int FROM notes WHERE owner_id = \(h.alice.id)")
        let (rows, patched) = try counts[0].decode((Int, Int).self)
        #expect(rows == 9_000 && patched == 1_000)
        // The same size with one bad op at the end: nothing applied.
        var failing: [[String: Any]] = (0..<9_999).map {
            ["op": "PUT", "table": "notes", "id": "fail-\($0)", "data": ["count": $0]]
        }
        failing.append(["op": "PUT", "table": "notes", "id": "fail-last", "data": ["count": "NaN"]])
        let failed = try await h.upload(h.transaction("bulk2", failing), token: h.alice.token)
        #expect(h.rejected(failed).first?["op_index"] as? Int == 9_999)
        let none = try await h.auth.sql("SELECT count(*)::int FROM notes WHERE id LIKE 'fail-%'")
        #expect(try none[0].decode(Int.self) == 0)
        try await h.auth.stack.stop()
    }
}

enum UploadHarnessKeys {
    static func camel(_ name: String) -> String {
        var out = ""
        var upper = false
        for character in name {
            if character == "_" {
                upper = true
            } else {
                out.append(upper ? Character(character.uppercased()) : character); upper = false
            }
        }
        return out
    }
}

@Suite("upload API failures")
struct UploadFailureTests {
    @Test("a database failure that is not the client's (schema drift here) is 503 and applies nothing")
    func transientIs503() async throws {
        let h = try await UploadHarness.start()
        _ = try await h.auth.sql("ALTER TABLE notes DROP COLUMN ratio")
        let response = try await h.upload(
            h.transaction(
                "drift",
                [
                    ["op": "PUT", "table": "notes", "id": "n1", "data": ["count": 1]],
                    ["op": "PUT", "table": "notes", "id": "n2", "data": ["ratio": 1.5]],
                ]),
            token: h.alice.token)
        #expect(response.status == 503 && response.code == "DATABASE_UNAVAILABLE", "\(response.text)")
        #expect(try await h.row("notes", "n1") == nil)
        let markers = try await h.auth.sql("SELECT count(*)::int FROM stack_upload.applied_transactions")
        #expect(try markers[0].decode(Int.self) == 0)
        try await h.auth.stack.stop()
    }
}

/// `STACK_BENCH=1 swift test --filter UploadBenchmark`: prints rows/s, asserts nothing about time.
@Suite("upload benchmark", .enabled(if: ProcessInfo.processInfo.environment["STACK_BENCH"] == "1"))
struct UploadBenchmark {
    @Test("1,000 PUTs in one transaction and 1,000 one-op transactions vs a direct multi-row INSERT")
    func rowsPerSecond() async throws {
        let h = try await UploadHarness.start()
        func ops(_ prefix: String) -> [[String: Any]] {
            (0..<1_000).map {
                [
                    "op": "PUT", "table": "notes", "id": "\(prefix)-\($0)",
                    "data": ["count": $0, "device_id": "bench", "done": 1],
                ]
            }
        }
        for round in 0..<3 {
            let body = Data(h.transaction("parse", ops("p")).utf8)
            var start = Date()
            _ = try UploadRequest(bytes: Array(body), clientIDHeader: nil)
            print(
                String(format: "upload bench: parsing 1,000 ops takes %.1f ms", Date().timeIntervalSince(start) * 1000))
            let batchBody = h.transaction("batch-\(round)", ops("b\(round)"))
            start = Date()
            let batched = try await h.upload(batchBody, token: h.alice.token)
            let batchedSeconds = Date().timeIntervalSince(start)
            #expect(h.applied(batched).count == 1)

            let single = json([
                "transactions": ops("s\(round)").enumerated().map {
                    ["op_id": "single-\(round)-\($0.offset)", "ops": [$0.element]]
                }
            ])
            start = Date()
            let singles = try await h.upload(single, token: h.alice.token)
            let singleSeconds = Date().timeIntervalSince(start)
            #expect(h.applied(singles).count == 1_000)

            var values: [String] = []
            for index in 0..<1_000 { values.append("('d\(round)-\(index)', '\(h.alice.id)', \(index), 'bench', true)") }
            let sql =
                "INSERT INTO notes (id, owner_id, count, device_id, done) VALUES " + values.joined(separator: ", ")
            // Timed on an open connection, as the upload path's pool is.
            let directSeconds = try await PostgresClient.withClient(
                h.auth.stack.database.databaseURL, logger: AuthHarness.logger
            ) { client in
                try await client.query("SELECT 1")
                let begin = Date()
                try await client.query(PostgresQuery(unsafeSQL: sql))
                return Date().timeIntervalSince(begin)
            }
            // The same 1,000 PUTs through UploadService without HTTP, auth and body transfer.
            let serviceBody = Array(h.transaction("service-\(round)", ops("v\(round)")).utf8)
            let serviceSeconds = try await PostgresClient.withClient(
                h.auth.stack.database.databaseURL, logger: AuthHarness.logger
            ) { client in
                try await client.query("SELECT 1")
                let service = UploadService(
                    schema: h.auth.stack.config.schema, client: client, logger: AuthHarness.logger)
                let begin = Date()
                let request = try UploadRequest(bytes: serviceBody, clientIDHeader: nil)
                let outcome = try await service.apply(request, userID: h.alice.id)
                #expect(outcome.applied.count == 1)
                return Date().timeIntervalSince(begin)
            }
            let emptyBody = json(["transactions": [] as [Any]])
            start = Date()
            for _ in 0..<20 { _ = try await h.upload(emptyBody, token: h.alice.token) }
            let emptySeconds = Date().timeIntervalSince(start) / 20
            print(
                String(
                    format:
                        "upload bench round %d: service only (no HTTP) %.0f rows/s (ratio %.2f); empty request %.1f ms",
                    round,
                    1000 / serviceSeconds, directSeconds / serviceSeconds, emptySeconds * 1000))
            print(
                String(
                    format:
                        "upload bench round %d: batched %.0f rows/s, one-op transactions %.0f rows/s, direct INSERT %.0f rows/s; ratio batched %.2f, one-op %.2f",
                    round, 1000 / batchedSeconds, 1000 / singleSeconds, 1000 / directSeconds,
                    directSeconds / batchedSeconds, directSeconds / singleSeconds))
        }
        try await h.auth.stack.stop()
    }
}
