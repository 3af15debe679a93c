import AsyncHTTPClient
import Foundation
import StackCore
import StackProtocol
import StackTesting
import Testing

/// The sync endpoint against a real stack: replication from Postgres into buckets, streamed to clients.
@Suite(.serialized) struct SyncStreamTests {
    static let yaml = """
        auth:
          base_url: http://${API_LISTEN}
          secret: test-secret-0123456789abcdef0123456789
        api:
          listen: ${API_LISTEN}
        sync:
          listen: ${SYNC_LISTEN}
          max_connections: 5
          max_buckets: 3
          jwks:
            keys:
              - { kty: oct, alg: HS256, kid: \(TestTokens.kid), k: \(TestTokens.secretBase64URL) }
        schema:
          tables:
            documents:
              columns:
                id: { type: text, primary_key: true }
                title: text
                owner_id: text
            group_members:
              columns:
                id: { type: text, primary_key: true }
                group_id: text
                user_id: text
                owner_id: text
            group_docs:
              columns:
                id: { type: text, primary_key: true }
                group_id: text
                title: text
                owner_id: text
        sync_rules:
          bucket_definitions:
            user_docs:
              parameters: SELECT request.user_id() as user_id
              data:
                - SELECT id, title FROM documents WHERE owner_id = bucket.user_id
            group_docs:
              priority: 1
              parameters: SELECT group_id FROM group_members WHERE user_id = request.user_id()
              data:
                - SELECT id, title FROM group_docs WHERE group_id = bucket.group_id
        """

    /// Runs `body` against a fresh stack of `yaml` and stops the stack afterwards, also when the body throws.
    static func withStack(_ body: (TestStack) async throws -> Void) async throws {
        try await withTestStack(yaml: Self.yaml, body)
    }

    static func token(_ user: String, stack: TestStack) -> String {
        TestTokens.make(sub: user, audience: stack.config.sync.audience[0])
    }

    static func sql(_ stack: TestStack, _ statements: String...) async throws {
        for statement in statements { try await execute(stack.database.databaseURL, statement) }
    }

    /// The scripted scenario: initial sync, incremental change, bucket gained, bucket lost, write checkpoint.
    /// Its transcript (keepalives dropped) must equal the golden file byte for byte.
    @Test func goldenTranscript() async throws {
        try await Self.withStack { stack in
            try await Self.sql(
                stack,
                "INSERT INTO documents VALUES ('d1', 'first', 'user-a'), ('d2', 'second', 'user-a'), "
                    + "('d3', 'other', 'user-b')")
            try await waitForOps(stack, atLeast: 3)
            let stream = try await SyncStreamConnection.open(
                stack.endpoints.syncURL, token: Self.token("user-a", stack: stack))
            #expect(stream.status == 200)
            #expect(stream.headers["content-type"].first == "application/x-ndjson")
            #expect(stream.headers["x-accel-buffering"].first == "no")
            var transcript: [String] = ["# initial sync"]
            var model = ClientModel()
            func take(_ lines: [ReceivedLine]) {
                for line in lines {
                    transcript.append(line.text)
                    model.apply(line.line)
                }
            }
            take(try await stream.untilComplete())

            transcript.append("# incremental change")
            try await Self.sql(stack, "UPDATE documents SET title = 'first, edited' WHERE id = 'd1'")
            take(try await stream.untilComplete())

            transcript.append("# bucket gained")
            try await Self.sql(
                stack,
                """
                WITH member AS (INSERT INTO group_members VALUES ('m1', 'g1', 'user-a', 'admin'))
                INSERT INTO group_docs VALUES ('gd1', 'g1', 'group doc', 'admin')
                """)
            take(try await stream.untilComplete())

            transcript.append("# bucket lost")
            try await Self.sql(stack, "DELETE FROM group_members WHERE id = 'm1'")
            take(try await stream.untilComplete())

            transcript.append("# write checkpoint")
            let written = try await requestWriteCheckpoint(stack, user: "user-a", clientID: "client-1")
            #expect(written == 1)
            take(
                try await stream.read(until: {
                    if case .checkpointComplete = $0 { true } else { false }
                }))
            stream.close()

            transcript.append("# second device, both priorities: group bucket (priority 1) completes first")
            try await Self.sql(stack, "INSERT INTO group_members VALUES ('m2', 'g1', 'user-a', 'admin')")
            // m1's entry and its tombstone are two index rows already; m2 makes the third.
            try await waitForOps(stack, atLeast: 3, in: "bucket_parameters")
            let second = try await SyncStreamConnection.open(
                stack.endpoints.syncURL, token: Self.token("user-a", stack: stack),
                request: StreamingSyncRequest(clientID: "client-2"))
            var secondModel = ClientModel()
            for line in try await second.untilComplete() {
                transcript.append(line.text)
                secondModel.apply(line.line)
            }
            second.close()
            #expect(secondModel.mismatches.isEmpty)

            #expect(model.mismatches.isEmpty, "bucket checksums differ from the ops sent: \(model.mismatches)")
            #expect(model.duplicates.isEmpty)
            try compareGolden("sync-scenario.ndjson", transcript.joined(separator: "\n") + "\n")
        }
    }

    /// Every op's checksum is recomputed from its content here and matches what was sent; bucket sums match.
    @Test func checksumsMatchIndependentComputation() async throws {
        try await Self.withStack { stack in
            var values: [String] = []
            for index in 0..<250 { values.append("('doc-\(index)', 'title \(index) \\u00e9', 'user-a')") }
            try await Self.sql(stack, "INSERT INTO documents VALUES " + values.joined(separator: ","))
            try await Self.sql(stack, "DELETE FROM documents WHERE id IN ('doc-3', 'doc-4')")
            try await waitForOps(stack, atLeast: 252)
            let stream = try await SyncStreamConnection.open(
                stack.endpoints.syncURL, token: Self.token("user-a", stack: stack))
            var model = ClientModel()
            var checked = 0
            for line in try await stream.untilComplete() {
                model.apply(line.line)
                if case .data(let batch) = line.line {
                    for op in batch.data {
                        if let expected = independentChecksum(op) {
                            #expect(op.checksum.value == expected, "op \(op.opID)")
                            checked += 1
                        }
                    }
                }
            }
            stream.close()
            #expect(checked >= 250)
            #expect(model.mismatches.isEmpty)
            #expect(model.rows("1#user_docs[\"user-a\"]").count == 248)
        }
    }

    /// A download larger than one page: `data` lines of at most 1000 ops and about 1 MiB, each continuing where the
    /// previous ended (`after` = previous `next_after`), `has_more` until the last, every op once.
    @Test func largeDownloadIsChunkedAndContinuous() async throws {
        try await Self.withStack { stack in
            try await Self.sql(
                stack,
                """
                INSERT INTO documents SELECT 'big-' || g, repeat(md5(g::text), CASE WHEN g % 50 = 0 THEN 2000 ELSE 4 END),
                  'user-a' FROM generate_series(1, 2600) g
                """)
            try await waitForOps(stack, atLeast: 2600)
            let stream = try await SyncStreamConnection.open(
                stack.endpoints.syncURL, token: Self.token("user-a", stack: stack))
            var model = ClientModel()
            var batches: [SyncDataBatch] = []
            var largest = 0
            for line in try await stream.untilComplete() {
                model.apply(line.line)
                if case .data(let batch) = line.line {
                    batches.append(batch)
                    largest = max(largest, line.text.utf8.count)
                }
            }
            stream.close()
            #expect(batches.count >= 3)
            #expect(batches.allSatisfy { $0.data.count <= 1000 })
            #expect(largest < 1_300_000, "a data line is \(largest) bytes")
            #expect(batches.contains { $0.hasMore && $0.data.count < 1000 }, "no line was cut by size")
            for (previous, next) in zip(batches, batches.dropFirst()) {
                #expect(next.after == previous.nextAfter)
                #expect(previous.hasMore)
            }
            #expect(batches.last?.hasMore == false)
            #expect(batches.first?.after == OpID(0))
            #expect(model.duplicates.isEmpty)
            #expect(model.mismatches.isEmpty)
            #expect(model.rows("1#user_docs[\"user-a\"]").count == 2600)
        }
    }

    /// Two users see only their own buckets and rows.
    @Test func usersSeeOnlyTheirOwnBuckets() async throws {
        try await Self.withStack { stack in
            try await Self.sql(
                stack,
                "INSERT INTO documents VALUES ('a1', 'a', 'user-a'), ('b1', 'b', 'user-b'), ('b2', 'b', 'user-b')")
            try await waitForOps(stack, atLeast: 3)
            var seen: [String: ClientModel] = [:]
            for user in ["user-a", "user-b"] {
                let stream = try await SyncStreamConnection.open(
                    stack.endpoints.syncURL, token: Self.token(user, stack: stack))
                var model = ClientModel()
                for line in try await stream.untilComplete() { model.apply(line.line) }
                stream.close()
                seen[user] = model
            }
            #expect(Set(seen["user-a"]!.expected.keys) == ["1#user_docs[\"user-a\"]"])
            #expect(Set(seen["user-b"]!.expected.keys) == ["1#user_docs[\"user-b\"]"])
            #expect(Set(seen["user-a"]!.rows("1#user_docs[\"user-a\"]").keys) == ["a1"])
            #expect(Set(seen["user-b"]!.rows("1#user_docs[\"user-b\"]").keys) == ["b1", "b2"])
        }
    }

    /// Reconnecting with the positions reached sends no op twice, only what changed while away.
    @Test func reconnectSendsNothingTwice() async throws {
        try await Self.withStack { stack in
            try await Self.sql(stack, "INSERT INTO documents VALUES ('d1', 'one', 'user-a'), ('d2', 'two', 'user-a')")
            try await waitForOps(stack, atLeast: 2)
            let token = Self.token("user-a", stack: stack)
            var model = ClientModel()
            let first = try await SyncStreamConnection.open(stack.endpoints.syncURL, token: token)
            for line in try await first.untilComplete() { model.apply(line.line) }
            first.close()

            let again = try await SyncStreamConnection.open(
                stack.endpoints.syncURL, token: token,
                request: StreamingSyncRequest(buckets: model.request, clientID: "client-1"))
            let unchanged = try await again.untilComplete()
            again.close()
            #expect(unchanged.filter { if case .data = $0.line { true } else { false } }.isEmpty)
            #expect(unchanged.count == 2)  // checkpoint + checkpoint_complete

            try await Self.sql(stack, "INSERT INTO documents VALUES ('d3', 'three', 'user-a')")
            try await waitForOps(stack, atLeast: 3)
            let third = try await SyncStreamConnection.open(
                stack.endpoints.syncURL, token: token,
                request: StreamingSyncRequest(buckets: model.request, clientID: "client-1"))
            let lines = try await third.untilComplete()
            third.close()
            let sent = lines.flatMap { line -> [OplogEntry] in
                if case .data(let batch) = line.line { batch.data } else { [] }
            }
            #expect(sent.map(\.objectID) == ["d3"])
            for line in lines { model.apply(line.line) }
            #expect(model.duplicates.isEmpty)
            #expect(model.mismatches.isEmpty)
        }
    }

    /// A request body that is valid JSON with a bad bucket position is refused naming the field, not as bad JSON.
    @Test func badBucketPositionNamesTheField() async throws {
        try await Self.withStack { stack in
            let token = Self.token("user-a", stack: stack)
            func send(_ body: String) async throws -> (status: Int, text: String) {
                let response = try await HTTPTestClient.send(
                    "POST", stack.endpoints.syncURL + "/sync/stream",
                    headers: [("Authorization", "Token " + token), ("Content-Type", "application/json")],
                    body: Data(body.utf8))
                return (response.status, response.text)
            }
            for after in [#""abc""#, #""-1x""#, "1.5"] {
                let refused = try await send(#"{"buckets":[{"name":"b","after":"0"},{"name":"c","after":\#(after)}]}"#)
                #expect(refused.status == 400, "\(after): \(refused.text)")
                #expect(refused.text.contains("PSYNC_S2001"), "\(refused.text)")
                #expect(
                    refused.text.contains("`buckets[1].after` must be an op id (a decimal string"), "\(refused.text)")
            }
            let wrongType = try await send(#"{"buckets":[{"name":"b","after":true}]}"#)
            #expect(wrongType.text.contains("wrong type at `buckets[0].after`"), "\(wrongType.text)")
            let broken = try await send(#"{"buckets":[{"name":"b","after":"0"}"#)
            #expect(
                broken.status == 400 && broken.text.contains("the request body is not valid JSON"), "\(broken.text)")
        }
    }

    /// Client-chosen checkpoint ids (`/sync/checkpoint-request`): only a larger id advances; the stored one shows up
    /// as `write_checkpoint` on the stream once replication passes it.
    @Test func checkpointRequestIDs() async throws {
        try await Self.withStack { stack in
            let token = Self.token("user-a", stack: stack)
            func request(_ id: String) async throws -> (Int, String) {
                let response = try await HTTPTestClient.send(
                    "POST", stack.endpoints.syncURL + "/sync/checkpoint-request",
                    headers: [("Authorization", "Token " + token), ("Content-Type", "application/json")],
                    body: Data(#"{"client_id":"client-9","checkpoint_request_id":\#(id)}"#.utf8))
                return (response.status, String(decoding: response.body, as: UTF8.self))
            }
            #expect(try await request(#""5""#) == (200, #"{"data":{"checkpoint_request_id":"5"}}"#))
            #expect(try await request("3") == (200, #"{"data":{"checkpoint_request_id":"5"}}"#))
            #expect(try await request("0").0 == 400)
            #expect(try await request(#""x""#).0 == 400)
            let stream = try await SyncStreamConnection.open(
                stack.endpoints.syncURL, token: token, request: StreamingSyncRequest(clientID: "client-9"))
            let lines = try await stream.read(until: { line in
                switch line {
                case .checkpoint(let checkpoint): checkpoint.writeCheckpoint == OpID(5)
                case .checkpointDiff(let diff): diff.writeCheckpoint == OpID(5)
                default: false
                }
            })
            #expect(!lines.isEmpty)
            stream.close()
            // Without a token: 401 in PowerSync's shape.
            let anonymous = try await HTTPTestClient.send(
                "GET", stack.endpoints.syncURL + "/write-checkpoint2.json?client_id=x", headers: [], body: nil)
            #expect(anonymous.status == 401)
            #expect(String(decoding: anonymous.body, as: UTF8.self).contains("PSYNC_S2106"))
        }
    }

    /// Auth failures over HTTP: PowerSync's status, code and body shape; no token text in the body.
    @Test func authFailuresAreRejectedBeforeStreaming() async throws {
        try await Self.withStack { stack in
            let audience = stack.config.sync.audience[0]
            let cases: [(String, String?, String)] = [
                ("no token", nil, "PSYNC_S2106"),
                (
                    "expired", TestTokens.make(sub: "u", audience: audience, lifetime: 300, issuedAgo: 900),
                    "PSYNC_S2103"
                ),
                ("wrong audience", TestTokens.make(sub: "u", audience: "https://elsewhere.example"), "PSYNC_S2105"),
                ("too long", TestTokens.make(sub: "u", audience: audience, lifetime: 90_000), "PSYNC_S2104"),
                (
                    "bad signature", TestTokens.make(sub: "u", audience: audience, key: Array("wrong".utf8)),
                    "PSYNC_S2102"
                ),
                ("garbage", "not-a-jwt", "PSYNC_S2101"),
            ]
            for (name, token, code) in cases {
                let stream = try await SyncStreamConnection.open(stack.endpoints.syncURL, token: token)
                #expect(stream.status == 401, "\(name)")
                let body = stream.errorBody ?? ""
                #expect(body.contains("\"code\":\"\(code)\""), "\(name): \(body)")
                #expect(body.contains("\"status\":401"), "\(name)")
                if let token { #expect(!body.contains(token), "\(name) echoes the token") }
            }
            // Bearer works like Token.
            let bearer = try await SyncStreamConnection.open(
                stack.endpoints.syncURL, token: Self.token("user-a", stack: stack), scheme: "Bearer")
            #expect(bearer.status == 200)
            bearer.close()
        }
    }

    /// Connection and bucket limits answer with PowerSync's codes; a closed stream frees its slot.
    @Test func limits() async throws {
        try await Self.withStack { stack in
            let token = Self.token("user-a", stack: stack)
            var open: [SyncStreamConnection] = []
            for _ in 0..<5 {
                let stream = try await SyncStreamConnection.open(stack.endpoints.syncURL, token: token)
                #expect(stream.status == 200)
                open.append(stream)
            }
            let refused = try await SyncStreamConnection.open(stack.endpoints.syncURL, token: token)
            #expect(refused.status == 429)
            #expect(refused.errorBody?.contains("PSYNC_S2304") == true)
            open.removeLast().close()
            try await eventually {
                try await SyncStreamConnection.open(stack.endpoints.syncURL, token: token)
            } until: {
                $0.status == 200
            }.close()
            for stream in open { stream.close() }

            // user-z is in 3 groups + own bucket = 4 buckets > max_buckets 3.
            try await Self.sql(
                stack,
                """
                INSERT INTO group_members VALUES ('z1', 'g1', 'user-z', 'x'), ('z2', 'g2', 'user-z', 'x'),
                  ('z3', 'g3', 'user-z', 'x')
                """)
            try await waitForOps(stack, atLeast: 3, in: "bucket_parameters")
            let many = try await SyncStreamConnection.open(
                stack.endpoints.syncURL, token: Self.token("user-z", stack: stack))
            #expect(many.status == 400)
            #expect(many.errorBody?.contains("PSYNC_S2305") == true)
        }
    }

    /// An open stream ends cleanly when the stack shuts down (no hang, no leaked task).
    @Test func streamEndsOnShutdown() async throws {
        let stack = try await TestStack.start(yaml: Self.yaml)
        let stream = try await SyncStreamConnection.open(
            stack.endpoints.syncURL, token: Self.token("user-a", stack: stack))
        _ = try await stream.untilComplete()
        let started = ContinuousClock.now
        try await stack.stop()
        #expect(ContinuousClock.now - started < .seconds(15))
        try await eventually {
            stream.hasEnded
        } until: {
            $0
        }
    }

    /// `token_expires_in` warns 20 s before expiry, then says `0` at expiry and the stream ends.
    @Test func tokenExpiryIsAnnouncedThenEndsTheStream() async throws {
        try await Self.withStack { stack in
            let token = TestTokens.make(sub: "user-a", audience: stack.config.sync.audience[0], lifetime: 23)
            let stream = try await SyncStreamConnection.open(stack.endpoints.syncURL, token: token)
            let lines = try await stream.read(
                until: { if case .tokenExpiresIn(0) = $0 { true } else { false } }, timeout: .seconds(40),
                keepalives: true)
            let countdown = lines.compactMap { if case .tokenExpiresIn(let seconds) = $0.line { seconds } else { nil } }
            #expect(countdown.count >= 2, "\(countdown)")
            #expect(countdown.first.map { (17...21).contains($0) } == true, "warning 20 s before expiry: \(countdown)")
            #expect(countdown.last == 0)
            try await eventually {
                stream.hasEnded
            } until: {
                $0
            }
        }
    }

    /// A token already past `exp` but inside the 60 s tolerance: accepted, then `0` and the end at once.
    @Test func streamEndsWhenTheTokenExpires() async throws {
        try await Self.withStack { stack in
            // A token that expired 50 s ago is still inside the 60 s tolerance: accepted, ends within ~10 s.
            let token = TestTokens.make(
                sub: "user-a", audience: stack.config.sync.audience[0], lifetime: 300, issuedAgo: 350)
            let stream = try await SyncStreamConnection.open(stack.endpoints.syncURL, token: token)
            #expect(stream.status == 200)
            let lines = try await stream.read(
                until: { if case .tokenExpiresIn(0) = $0 { true } else { false } }, timeout: .seconds(30),
                keepalives: true)
            #expect(lines.last?.text == #"{"token_expires_in":0}"#)
            try await eventually {
                stream.hasEnded
            } until: {
                $0
            }
        }
    }
}

/// Polls `work` until `done` holds (30 s at most).
@discardableResult
func eventually<T>(
    timeout: Duration = .seconds(30), _ work: () async throws -> T, until done: (T) -> Bool
) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    while true {
        let value = try await work()
        if done(value) { return value }
        if ContinuousClock.now > deadline { throw SyncTestError("condition not reached within \(timeout)") }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// Waits until replication has written at least `count` ops and published a checkpoint past them.
func waitForOps(
    _ stack: TestStack, atLeast count: Int, in table: String = "bucket_data", timeout: Duration = .seconds(30)
) async throws {
    try await eventually(timeout: timeout) {
        try await scalar(
            stack.database.databaseURL,
            """
            SELECT ((SELECT count(*) FROM powersync.\(table)) >= \(count)
              AND (SELECT coalesce(max(last_checkpoint), 0) FROM powersync.replication_streams)
                >= (SELECT coalesce(max(\(table == "bucket_data" ? "op_id" : "id")), 0) FROM powersync.\(table)))::text
            """)
    } until: { (value: String?) in
        value == "t" || value == "true"
    }
}

/// `GET /write-checkpoint2.json` as a client does.
func requestWriteCheckpoint(_ stack: TestStack, user: String, clientID: String) async throws -> Int64 {
    var request = HTTPClientRequest(url: stack.endpoints.syncURL + "/write-checkpoint2.json?client_id=\(clientID)")
    request.headers.add(name: "Authorization", value: "Token " + SyncStreamTests.token(user, stack: stack))
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    let body = String(buffer: try await response.body.collect(upTo: 1 << 16))
    guard response.status == .ok else { throw SyncTestError("write checkpoint: \(response.status) \(body)") }
    let decoded = try JSONDecoder().decode(WriteCheckpointResponse.self, from: Data(body.utf8))
    return decoded.data.writeCheckpoint.value
}

/// Compares with `Fixtures/sync/<name>`; `STACK_RECORD_GOLDENS=1` rewrites the file instead.
func compareGolden(_ name: String, _ actual: String) throws {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Fixtures/sync/\(name)")
    if ProcessInfo.processInfo.environment["STACK_RECORD_GOLDENS"] == "1" {
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        try actual.write(to: path, atomically: true, encoding: .utf8)
        return
    }
    let expected = try String(contentsOf: path, encoding: .utf8)
    guard actual != expected else { return }
    let want = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let got = actual.split(separator: "\n", omittingEmptySubsequences: false)
    let line = zip(want, got).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(want.count, got.count)
    let saved = NSTemporaryDirectory() + name + ".actual"
    try? actual.write(toFile: saved, atomically: true, encoding: .utf8)
    Issue.record(
        """
        transcript differs from \(path.path) at line \(line + 1) (whole transcript in \(saved)):
          expected: \(line < want.count ? String(want[line]) : "<end>")
          actual:   \(line < got.count ? String(got[line]) : "<end>")
        Rerun with STACK_RECORD_GOLDENS=1 only if the new transcript is right.
        """)
}
