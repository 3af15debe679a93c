import Foundation
import StackTesting
import Testing

/// `stack client …` run as the real binary against an in-process stack (its config file points at it).
@Suite("stack client CLI", .serialized)
struct ClientCLITests {
    /// The sample schema with rate limits off (the tests sign up several users quickly).
    static let yaml = TestStack.sampleConfig.replacingOccurrences(
        of: "  secret: test-secret-0123456789abcdef0123456789",
        with: "  secret: test-secret-0123456789abcdef0123456789\n  rate_limit: false")

    /// Runs `stack client <arguments> --config <the stack's file> --device <device>`.
    static func client(_ stack: TestStack, device: String = "demo", _ arguments: String...) async throws
        -> (status: Int32, out: String, err: String)
    {
        try await run(["client"] + arguments + ["--config", stack.config.file, "--device", device])
    }

    /// `runStack` off the cooperative thread pool: waiting for the child blocks a thread, and the in-process stack
    /// serving the child's requests needs the pool's threads.
    ///
    /// The kill guard is longer than the client's own request timeout (`HTTPTestClient.timeout`, passed to it as
    /// `STACK_CLIENT_REQUEST_TIMEOUT`): a sign-up can wait in the shared scrypt pool for tens of seconds while the
    /// whole suite runs, and a 60 s guard killed such a client silently (exit 124) before its request could finish.
    static func run(_ arguments: [String]) async throws -> (status: Int32, out: String, err: String) {
        let guardSeconds = TimeInterval(HTTPTestClient.timeout.components.seconds) + 60
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try runStackBlocking(arguments, timeout: guardSeconds) })
            }
        }
    }

    /// Runs `body` against a fresh stack and stops the stack afterwards, also when the body throws.
    static func withStack(yaml: String = yaml, _ body: (TestStack) async throws -> Void) async throws {
        try await withTestStack(yaml: yaml, body)
    }

    /// `stack client sign-up` on the default device.
    static func signUp(_ stack: TestStack, _ email: String, password: String = "correct-horse") async throws
        -> (status: Int32, out: String, err: String)
    {
        try await client(stack, "sign-up", "--email", email, "--password", password)
    }

    /// Parses `--json` output.
    static func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    /// The queued upload entries of a device, oldest first, as decoded `ps_crud.data` objects.
    static func crud(_ stack: TestStack, device: String = "demo") async throws -> [[String: Any]] {
        let result = try await client(stack, device: device, "query", "SELECT data FROM ps_crud ORDER BY id", "--json")
        #expect(result.status == 0, "\(result.err)")
        let rows = try #require(try json(result.out) as? [[String: Any]])
        return try rows.map { row in
            let text = try #require(row["data"] as? String)
            return try #require(try json(text) as? [String: Any])
        }
    }

    /// The device's `status --json`.
    static func status(_ stack: TestStack, device: String = "demo") async throws -> [String: Any] {
        let result = try await client(stack, device: device, "status", "--json")
        #expect(result.status == 0, "\(result.err)")
        return try #require(try json(result.out) as? [String: Any])
    }

    /// Whether the upload API is mounted (it answers something other than 404 to an unauthenticated PUT).
    static func uploadEndpointExists(_ stack: TestStack) async throws -> Bool {
        let response = try await HTTPTestClient.send(
            "PUT", stack.config.api.listen.httpURL + "/api/powersync/upload",
            headers: [("Content-Type", "application/json")], body: Data(#"{"transactions":[]}"#.utf8))
        return response.status != 404
    }

    @Test("sign-up then whoami; sign-out; a wrong password is refused with the server's message")
    func signUpWhoAmI() async throws {
        try await Self.withStack { stack in
            let before = try await Self.client(stack, "whoami")
            #expect(before.status == 1 && before.err.contains("not signed in"))

            let signUp = try await Self.signUp(stack, "ada@example.com", password: "analytical-engine")
            #expect(signUp.status == 0, "\(signUp.err)")
            #expect(signUp.out.contains("signed in as ada@example.com"))
            let whoami = try await Self.client(stack, "whoami")
            #expect(whoami.status == 0 && whoami.out.contains("ada@example.com"), "\(whoami.err)")
            let status = try await Self.status(stack)
            #expect(status["signed_in"] as? Bool == true)
            #expect((status["user"] as? [String: Any])?["email"] as? String == "ada@example.com")

            // `--device` also works before the subcommand; another device is not signed in.
            let other = try await Self.run(["client", "--device", "phone", "whoami", "--config", stack.config.file])
            #expect(other.status == 1 && other.err.contains("not signed in on device phone"))

            let signOut = try await Self.client(stack, "sign-out")
            #expect(signOut.status == 0 && signOut.out.contains("signed out"), "\(signOut.err)")
            #expect(!signOut.err.contains("note:"), "the server did not confirm the sign-out: \(signOut.err)")
            #expect(try await Self.client(stack, "whoami").status == 1)

            let wrong = try await Self.client(
                stack, "sign-in", "--email", "ada@example.com", "--password", "not-the-password")
            #expect(wrong.status == 1)
            #expect(wrong.err.contains("401") || wrong.err.contains("INVALID_EMAIL_OR_PASSWORD"), "\(wrong.err)")
            let signIn = try await Self.client(
                stack, "sign-in", "--email", "ADA@example.com", "--password", "analytical-engine")
            #expect(signIn.status == 0 && signIn.out.contains("ada@example.com"), "\(signIn.err)")
            #expect(!signIn.out.contains("removed"))
        }
    }

    @Test("insert/update/delete queue PUT/PATCH/DELETE; local-only tables are not queued; values follow the schema")
    func localWrites() async throws {
        try await Self.withStack { stack in
            #expect(try await Self.signUp(stack, "bo@example.com").status == 0)

            let insert = try await Self.client(stack, "insert", "documents", "title=Hello world", "pinned=true")
            #expect(insert.status == 0, "\(insert.err)")
            let id = insert.out.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(UUID(uuidString: id) != nil && id == id.lowercased() && id.dropFirst(14).first == "4")

            let listed = try await Self.client(stack, "ls", "documents", "--json")
            let rows = try #require(try Self.json(listed.out) as? [[String: Any]])
            let row = try #require(rows.first)
            #expect(rows.count == 1)
            #expect(row["id"] as? String == id && row["title"] as? String == "Hello world")
            #expect(row["owner_id"] is NSNull)
            #expect(row["pinned"] as? Int == 1 && row["content"] as? String == "")
            #expect((row["created_at"] as? String)?.hasSuffix("Z") == true)
            let table = try await Self.client(stack, "ls", "documents")
            #expect(table.out.contains("Hello world") && table.out.contains("(1 row)"))

            var status = try await Self.status(stack)
            #expect(status["pending_uploads"] as? Int == 1 && status["online"] as? Bool == true)

            #expect(try await Self.client(stack, "insert", "preferences", "key=theme", "value=dark").status == 0)
            status = try await Self.status(stack)
            #expect(status["pending_uploads"] as? Int == 1)
            #expect(try await Self.client(stack, "ls", "preferences", "--json").out.contains("dark"))

            let bad = try await Self.client(stack, "insert", "documents", "pinned=maybe")
            #expect(bad.status == 1 && bad.err.contains("boolean"))
            #expect(try await Self.client(stack, "insert", "nope", "a=b").err.contains("no table 'nope'"))
            let unknown = try await Self.client(stack, "insert", "documents", "colour=red")
            #expect(unknown.err.contains("no column 'colour'"))

            // nullable: false columns are refused NULL on the device, before anything is queued.
            let cleared = try await Self.client(stack, "update", "documents", id, "title=Renamed", "pinned=")
            #expect(cleared.status == 1)
            #expect(
                cleared.err.contains(
                    "STACK-K112: documents.pinned cannot be set to NULL: the config's schema declares it nullable: false"
                ),
                "\(cleared.err)")
            let rawClear = try await Self.client(stack, "query", "UPDATE documents SET content = NULL")
            #expect(rawClear.status == 1 && rawClear.err.contains("documents.content cannot be set to NULL"))
            #expect(!rawClear.err.contains("SQLite error"), "\(rawClear.err)")
            // An id that is taken: said so, not as SQLite's UNIQUE constraint on ps_data__documents.
            let again = try await Self.client(stack, "insert", "documents", "id=\(id)", "title=Again")
            #expect(again.status == 1)
            #expect(
                again.err.contains("STACK-K113: a documents row with id \(id) already exists on this device"),
                "\(again.err)")
            let rawAgain = try await Self.client(stack, "query", "INSERT INTO documents(id) VALUES ('\(id)')")
            #expect(rawAgain.err.contains("a documents row with this id already exists"), "\(rawAgain.err)")
            #expect(!rawAgain.err.contains("ps_data__"), "\(rawAgain.err)")
            // Several statements run in one transaction; the last one's rows are printed.
            let several = try await Self.client(stack, "query", "SELECT 1 AS one; SELECT 2 AS two", "--json")
            #expect(several.status == 0, "\(several.err)")
            #expect(try Self.json(several.out) as? [[String: Int]] == [["two": 2]])

            let update = try await Self.client(stack, "update", "documents", id, "title=Renamed", "pinned=false")
            #expect(update.status == 0, "\(update.err)")
            let delete = try await Self.client(stack, "delete", "documents", id)
            #expect(delete.status == 0, "\(delete.err)")
            #expect(try await Self.client(stack, "delete", "documents", id).status == 1)

            let queue = try await Self.crud(stack)
            #expect(queue.map { $0["op"] as? String } == ["PUT", "PATCH", "DELETE"])
            let put = try #require(queue[0]["data"] as? [String: Any])
            #expect(put["title"] as? String == "Hello world" && put["owner_id"] == nil)
            let patch = try #require(queue[1]["data"] as? [String: Any])
            #expect(patch["title"] as? String == "Renamed" && patch["pinned"] as? Int == 0 && patch["content"] == nil)
            #expect(queue[2]["id"] as? String == id)
            let emptied = try await Self.client(stack, "ls", "documents", "--json")
            #expect((try Self.json(emptied.out) as? [Any])?.isEmpty == true)
        }
    }

    @Test("offline blocks upload and sync; online uploads the queue (skipped while the upload API is missing)")
    func offlineAndUpload() async throws {
        try await Self.withStack { stack in
            #expect(try await Self.signUp(stack, "cy@example.com").status == 0)
            #expect(try await Self.client(stack, "offline").status == 0)
            #expect(try await Self.status(stack)["online"] as? Bool == false)
            let id = try await Self.client(stack, "insert", "documents", "title=Offline edit").out
                .trimmingCharacters(in: .whitespacesAndNewlines)
            for command in ["upload", "sync"] {
                let refused = try await Self.client(stack, command)
                #expect(refused.status == 1 && refused.err.contains("offline"), "\(command): \(refused.err)")
            }
            #expect(try await Self.status(stack)["pending_uploads"] as? Int == 1)
            #expect(try await Self.client(stack, "online").status == 0)

            guard try await Self.uploadEndpointExists(stack) else {
                print("skipped upload checks: PUT /api/powersync/upload answers 404 (upload API not merged yet)")
                return
            }
            let upload = try await Self.client(stack, "upload")
            #expect(upload.status == 0, "\(upload.err)")
            #expect(upload.out.contains("uploaded 1 transaction(s): 1 applied, 0 rejected"), "\(upload.out)")
            let status = try await Self.status(stack)
            #expect(status["pending_uploads"] as? Int == 0 && status["rejected_uploads"] as? Int == 0)
            let title = try await scalar(stack.database.databaseURL, "SELECT title FROM documents WHERE id = '\(id)'")
            #expect(title == "Offline edit")
        }
    }

    @Test("sync catches up and records when; with the sync service gone it exits 1 and says so")
    func syncCatchesUpOrSaysWhy() async throws {
        try await Self.withStack { stack in
            #expect(try await Self.signUp(stack, "di@example.com").status == 0)
            let sync = try await Self.client(stack, "sync", "--timeout", "30")
            #expect(sync.status == 0, "\(sync.err)")
            #expect(sync.out.contains("caught up"), "\(sync.out)")
            #expect(try await Self.status(stack)["last_synced_at"] is String)

            // For scripts: one object, every key present. A queued insert is uploaded and comes back applied.
            #expect(try await Self.client(stack, "insert", "documents", "title=Scripted").status == 0)
            let json = try await Self.client(stack, "sync", "--json", "--timeout", "30")
            #expect(json.status == 0, "\(json.err)")
            let summary = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any] ?? [:]
            #expect(
                Set(summary.keys) == [
                    "uploaded", "applied", "rejected", "checkpoint", "rows_changed", "pending_uploads",
                    "blocked_by_uploads", "seconds",
                ])
            #expect(summary["uploaded"] as? Int == 1 && summary["applied"] as? Int == 1, "\(json.out)")
            #expect(summary["rejected"] as? Int == 0 && summary["pending_uploads"] as? Int == 0)
            #expect((summary["checkpoint"] as? Int ?? 0) > 0 && summary["blocked_by_uploads"] as? Bool == false)
            #expect((summary["seconds"] as? Double ?? -1) >= 0)
        }
        // A config whose sync port nothing listens on: a clear failure, never a fake success.
        let stack = try await TestStack.start(yaml: Self.yaml)
        #expect(try await Self.signUp(stack, "dj@example.com").status == 0)
        try await stack.stop()
        let sync = try await Self.client(stack, "sync", "--timeout", "10")
        #expect(sync.status == 1)
        #expect(!sync.out.contains("caught up"))
    }

    @Test("a stopped stack is reported at once, not after the request deadline")
    func stoppedStackIsReportedAtOnce() async throws {
        try await Self.withStack { stack in
            #expect(try await Self.signUp(stack, "gus@example.com").status == 0)
            try await stack.stop()
            // The request deadline here is 120 s and the command's own limit 60 s: it must not wait for either.
            let sync = try await Self.client(stack, "sync")
            #expect(sync.status == 1, "\(sync.status) \(sync.err)")
            #expect(sync.err.contains("STACK-K001") && sync.err.contains("(connection refused)"), "\(sync.err)")
        }
    }

    @Test("signing in as another user on the same device wipes synced rows and keeps local-only ones")
    func accountSwitch() async throws {
        try await Self.withStack { stack in
            #expect(try await Self.signUp(stack, "ed@example.com").status == 0)
            #expect(try await Self.client(stack, "insert", "documents", "title=Ed's").status == 0)
            #expect(try await Self.client(stack, "insert", "preferences", "key=theme", "value=dark").status == 0)

            // The same user again keeps everything.
            let again = try await Self.client(
                stack, "sign-in", "--email", "ed@example.com", "--password", "correct-horse")
            #expect(again.status == 0 && !again.out.contains("removed"), "\(again.err)")
            #expect(try await Self.status(stack)["pending_uploads"] as? Int == 1)

            // Ed's insert was never uploaded: the switch would delete it, so it is refused and nothing changes.
            let refused = try await Self.signUp(stack, "fay@example.com")
            #expect(refused.status == 1 && refused.err.contains("STACK-K007"), "\(refused.err)")
            #expect(refused.err.contains("1 transaction(s) of ed@example.com"), "\(refused.err)")
            let kept = try await Self.status(stack)
            #expect(kept["pending_uploads"] as? Int == 1)
            #expect((kept["user"] as? [String: Any])?["email"] as? String == "ed@example.com")

            let other = try await Self.client(
                stack, "sign-in", "--email", "fay@example.com", "--password", "correct-horse", "--discard-pending")
            #expect(other.status == 0, "\(other.err)")
            #expect(other.out.contains("previous user was removed"), "\(other.out)")
            #expect(other.out.contains("1 change(s) never uploaded"), "\(other.out)")
            #expect(try await Self.client(stack, "ls", "documents").out.contains("(0 rows)"))
            #expect(try await Self.client(stack, "ls", "preferences", "--json").out.contains("dark"))
            let status = try await Self.status(stack)
            #expect(status["pending_uploads"] as? Int == 0)
            #expect((status["user"] as? [String: Any])?["email"] as? String == "fay@example.com")

            #expect(try await Self.client(stack, "reset").out.contains("deleted"))
            #expect(try await Self.client(stack, "whoami").status == 1)
        }
    }
}
