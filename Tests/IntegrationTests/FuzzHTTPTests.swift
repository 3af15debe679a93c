import AsyncHTTPClient
import Foundation
import NIOCore
import PostgresNIO
import StackFuzzing
import StackProtocol
import StackTesting
import Testing

/// Mutated upload bodies, sync request bodies and tokens against a real stack on loopback: every input gets a
/// 200 or a 4xx with the documented JSON error shape, never a 5xx or a dropped connection, and a rejected upload
/// writes nothing (app tables and the idempotency table are unchanged).
/// `STACK_FUZZ_COUNT=20000 swift test --filter FuzzHTTPTests` for a long run.
@Suite struct FuzzHTTPTests {
    // MARK: - Upload

    static func op(_ kind: String, _ table: String, _ id: String, _ data: [(String, FuzzJSON)]?) -> FuzzJSON {
        var members: [(String, FuzzJSON)] = [("op", .string(kind)), ("table", .string(table)), ("id", .string(id))]
        if let data { members.append(("data", .object(data))) }
        return .object(members)
    }

    static var uploadSeeds: [FuzzJSON] {
        let noteData: [(String, FuzzJSON)] = [
            ("count", .int(3)), ("ratio", .number("0.5")), ("done", .bool(true)),
            ("due_at", .string("2024-05-01T12:00:00Z")), ("meta", .object([("a", .array([.int(1)]))])),
            ("deviceId", .string("dev-1")),
        ]
        let documentData: [(String, FuzzJSON)] = [
            ("title", .string("A")), ("content", .string("x")), ("pinned", .int(1)), ("created_at", .int(1_714_564_800)),
        ]
        return [
            .object([
                ("transactions", .array([
                    .object([("op_id", .string("1")), ("ops", .array([op("PUT", "documents", "d1", documentData)]))]),
                    .object([("op_id", .int(2)), ("ops", .array([
                        op("PUT", "notes", "n1", noteData), op("PATCH", "notes", "n1", [("count", .int(4)), ("due_at", .int(1_714_564_800_000))]),
                    ]))]),
                ])),
                ("client_id", .string("c1")),
            ]),
            .object([
                ("transactions", .array([
                    .object([("op_id", .string("3")), ("ops", .array([
                        op("PATCH", "documents", "d2", [("title", .string("B")), ("created_at", .number("1.5e9"))]),
                        op("DELETE", "notes", "n2", nil),
                    ]))]),
                ])),
            ]),
            .object([
                ("transactions", .array([
                    .object([("crud", .array([
                        .object([("op_id", .int(7)), ("op", .string("PUT")), ("type", .string("notes")), ("id", .string("n3")),
                            ("tx_id", .int(42)), ("opData", .object(noteData))]),
                    ]))]),
                ])),
            ]),
        ]
    }

    @Test func uploadBodies() async throws {
        let h = try await UploadHarness.start()
        let url = h.url
        let token = h.alice.token
        let mutator = ByteMutator(seeds: Self.uploadSeeds.map(\.bytes), dictionary: [
            "\"transactions\":", "\"ops\":", "\"op_id\":", "\"op\":", "\"table\":", "\"data\":", "\"PUT\"", "\"PATCH\"",
            "\"DELETE\"", "\"notes\"", "\"documents\"", "\"due_at\":", "\"count\":", "\"meta\":",
        ])
        let state = """
            SELECT md5(coalesce((SELECT string_agg(t::text, '|' ORDER BY id) FROM documents t), '')
                || coalesce((SELECT string_agg(t::text, '|' ORDER BY id) FROM notes t), '')
                || coalesce((SELECT string_agg(t::text, '|' ORDER BY user_id, client_id, op_id)
                    FROM stack_upload.applied_transactions t), ''))
            """
        let (run, statuses) = try await PostgresClient.withClient(h.auth.stack.database.databaseURL, logger: testLogger) {
            client in
            var run = FuzzRun("upload body (HTTP)", count: 3_000, seconds: 12)
            var statuses: [Int: Int] = [:]
            func snapshot() async throws -> String {
                for try await value in try await client.query(PostgresQuery(unsafeSQL: state), logger: testLogger).decode(String.self) {
                    return value
                }
                return ""
            }
            var before = try await snapshot()
            for index in run.indices {
                var random = run.random(index)
                let body: [UInt8] =
                    switch random.int(0..<10) {
                    case 0, 1, 2, 3: mutator.mutant(using: &random)
                    case 4: FuzzJSON.random(depth: 4, using: &random).bytes
                    default: random.pick(Self.uploadSeeds).mutated(using: &random).bytes
                    }
                var headers = [("content-type", "application/json")]
                if random.chance(5) {
                    headers.append(("authorization", Self.headerValue("Bearer " + String(decoding: mutator.mutant(using: &random).prefix(200), as: UTF8.self))))
                } else {
                    headers.append(("authorization", "Bearer \(token)"))
                }
                if random.chance(10) { headers.append(("x-client-id", random.pick(["", "c1", String(repeating: "z", count: 4_000)]))) }
                let response = try await HTTPTestClient.send("PUT", url, headers: headers, body: Data(body))
                statuses[response.status, default: 0] += 1
                let applied = h.applied(response)
                let after = try await snapshot()
                if response.status == 200 {
                    #expect((try? response.json())?["rejected"] is [Any], "\(run.origin(index)): \(response.text.prefix(300))")
                } else {
                    #expect([400, 401, 413].contains(response.status), "\(run.origin(index)): \(response.status) \(response.text.prefix(300))")
                    let json = try? response.json()
                    #expect(json?["code"] is String && json?["message"] is String && json?.count == 2,
                        "\(run.origin(index)): error body \(response.text.prefix(300))")
                }
                if applied.isEmpty {
                    #expect(after == before, "\(run.origin(index)): a rejected upload (\(response.status)) wrote rows")
                }
                run.record(accepted: !applied.isEmpty)
                before = after
            }
            return (run, statuses)
        }
        run.report()
        print("FUZZ upload body (HTTP) statuses: \(statuses.sorted { $0.key < $1.key })")
        #expect(run.sawBothOutcomes, "\(run.summary)")
        try await Self.timestampsOutsidePostgresRange(h)
        try await h.auth.stack.stop()
    }

    /// The trap the fuzzer found, kept as a fixed case: a timestamp Postgres cannot hold is INVALID_VALUE.
    static func timestampsOutsidePostgresRange(_ h: UploadHarness) async throws {
        for (index, value) in ["1e300", "9223372036854775807", "-9223372036854775808", "1e17"].enumerated() {
            for op in ["PUT", "PATCH"] {
                let body = #"{"transactions":[{"op_id":"t\#(index)\#(op)","ops":[{"op":"\#(op)","table":"notes","id":"n1","data":{"due_at":\#(value)}}]}]}"#
                let response = try await h.upload(body, token: h.alice.token)
                #expect(response.status == 200, "\(value): \(response.text)")
                #expect(h.applied(response).isEmpty && h.rejected(response).first?["code"] as? String == "INVALID_VALUE",
                    "\(op) \(value): \(response.text)")
            }
        }
    }

    // MARK: - Sync request bodies and tokens

    static let syncYAML = SyncStreamTests.yaml.replacingOccurrences(of: "max_connections: 5", with: "max_connections: 200")
        .replacingOccurrences(of: "max_buckets: 3", with: "max_buckets: 50")

    /// Row counts of every table in the database, as one text.
    static let tableCounts = """
        SELECT coalesce(string_agg(table_schema || '.' || table_name || '=' || (xpath('/row/c/text()',
            query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text,
            ',' ORDER BY table_schema, table_name), '')
        FROM information_schema.tables WHERE table_type = 'BASE TABLE'
            AND table_schema NOT IN ('pg_catalog', 'information_schema')
            -- The auth server stores its first signing key when it starts, whatever requests come.
            AND table_name <> 'jwks'
        """

    @Test func syncRequestsAndTokens() async throws {
        let stack = try await TestStack.start(yaml: Self.syncYAML)
        let audience = stack.config.sync.audience[0]
        // A checkpoint exists before the first stream, so a 200 stream starts with a line at once.
        try await SyncStreamTests.sql(stack, "INSERT INTO documents VALUES ('d1', 'first', 'user-a')")
        try await waitForOps(stack, atLeast: 1)
        let requestSeeds: [FuzzJSON] = [
            .object([
                ("buckets", .array([.object([("name", .string("user_docs[\"user-a\"]")), ("after", .string("0"))])])),
                ("include_checksum", .bool(true)), ("raw_data", .bool(true)), ("client_id", .string("c1")),
                ("parameters", .object([("team", .string("t1"))])),
                ("streams", .object([("include_defaults", .bool(true)), ("subscriptions", .array([]))])),
            ]),
            .object([("client_id", .string("c2")), ("buckets", .array([]))]),
        ]
        let bodies = ByteMutator(seeds: requestSeeds.map(\.bytes), dictionary: ["\"after\":", "\"buckets\":", "\"parameters\":"])
        let valid = TestTokens.make(sub: "user-a", audience: audience)
        let tokens = ByteMutator(seeds: [Array(valid.utf8)], dictionary: [".", "-", "_", "eyJ", "e30"])
        var run = FuzzRun("sync request + token (HTTP)", count: 2_000, seconds: 10)
        var statuses: [Int: Int] = [:]
        var oversizedHeaders = 0
        let before = try await scalar(stack.database.databaseURL, Self.tableCounts)
        // One connection per request: a stream dropped after its first line must not leave a pooled connection
        // half-read for the next request.
        var configuration = HTTPClient.Configuration()
        configuration.maximumUsesPerConnection = 1
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        for index in run.indices {
            var random = run.random(index)
            let body: [UInt8] =
                switch random.int(0..<10) {
                case 0, 1, 2: bodies.mutant(using: &random)
                case 3: FuzzJSON.random(depth: 4, using: &random).bytes
                default: random.pick(requestSeeds).mutated(using: &random).bytes
                }
            var authorization = "Token \(valid)"
            switch random.int(0..<10) {
            case 0: authorization = Self.headerValue("Token " + String(decoding: tokens.mutant(using: &random), as: UTF8.self))
            case 1:
                var claims: [String: String] = [:]
                let claim = random.pick(["sub", "iat", "exp", "aud", "parameters", "nbf"])
                claims[claim] = FuzzJSON.random(depth: 3, using: &random).text
                authorization = "Bearer " + TestTokens.make(sub: "user-a", audience: audience, claims: claims)
            case 2:
                let header = FuzzJSON.object([("alg", .string("HS256")), ("kid", .string(TestTokens.kid))]).mutated(using: &random)
                authorization = "Token " + TestTokens.make(sub: "user-a", audience: audience, header: header.text)
            default: break
            }
            var bareRejections = 0
            let status = try await Self.openStream(client, stack.endpoints.syncURL, authorization: authorization, body: body) { status, text in
                if status == 400, text.isEmpty, authorization.utf8.count > Self.headerLimit {
                    // NIO's HTTP parser refuses headers over its limit before any route runs: a bare 400.
                    bareRejections += 1
                } else if status != 200 {
                    #expect([400, 401, 413].contains(status), "\(run.origin(index)): \(status) \(text.prefix(300))")
                    let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
                    let error = json?["error"] as? [String: Any]
                    #expect(json?.count == 1 && (error?["code"] as? String)?.hasPrefix("PSYNC_S") == true
                        && error?["status"] as? Int == status && error?["description"] is String,
                        "\(run.origin(index)): error body of \(status) \(text.prefix(300)); header \(authorization.utf8.count) bytes")
                }
            }
            statuses[status, default: 0] += 1
            oversizedHeaders += bareRejections
            run.record(accepted: status == 200)
        }
        try await client.shutdown()
        let after = try await scalar(stack.database.databaseURL, Self.tableCounts)
        let changed = Set((after ?? "").split(separator: ",")).subtracting((before ?? "").split(separator: ","))
        #expect(changed.isEmpty, "sync requests changed row counts: \(changed.sorted()) (before: \(before ?? ""))")
        run.report()
        print("FUZZ sync request + token (HTTP) statuses: \(statuses.sorted { $0.key < $1.key }), "
            + "\(oversizedHeaders) bare 400s for headers over \(Self.headerLimit) bytes")
        #expect(run.sawBothOutcomes, "\(run.summary)")
        try await stack.stop()
    }

    /// Header bytes above which NIO's parser may refuse a request (llhttp's limit is 80 KiB for all headers).
    static let headerLimit = 16 * 1024

    /// Posts `body` to `/sync/stream`; a 200 stream is closed after its first bytes. Returns the status.
    static func openStream(
        _ client: HTTPClient, _ syncURL: String, authorization: String, body: [UInt8], check: (Int, String) -> Void
    ) async throws -> Int {
        var http = HTTPClientRequest(url: syncURL + "/sync/stream")
        http.method = .POST
        http.headers.add(name: "Content-Type", value: "application/json")
        http.headers.add(name: "Authorization", value: authorization)
        http.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(http, timeout: .seconds(30))
        let status = Int(response.status.code)
        if status == 200 {
            // Reading the first line proves the stream works; dropping the body closes the connection.
            var iterator = response.body.makeAsyncIterator()
            _ = try await iterator.next()
            check(status, "")
        } else {
            let collected = try await response.body.collect(upTo: 1 << 20)
            check(status, String(buffer: collected))
        }
        return status
    }

    /// `text` with the bytes an HTTP header cannot carry replaced, so the request reaches the server.
    static func headerValue(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" })
    }
}
