import Foundation
import StackPostgres
import StackTesting
import Testing

/// `stack client sync --watch` and `stack client shell`, run as real processes (the shell in a real terminal: tmux).
@Suite("stack client watch and shell", .serialized)
struct ClientWatchTests {
    typealias CLI = ClientCLITests

    /// Signs `email` up on device a and in on device b.
    static func twoDevices(_ stack: TestStack, _ email: String) async throws {
        let signUp = try await CLI.client(stack, device: "a", "sign-up", "--email", email, "--password", "correct-horse")
        #expect(signUp.status == 0, "\(signUp.err)")
        try await ClientSyncTests.signIn(stack, device: "b", email)
    }

    @Test("sync --watch prints each change as it lands (text and --json) and ends with exit 0 on SIGTERM/SIGINT")
    func syncWatch() async throws {
        try await CLI.withStack { stack in
            try await Self.twoDevices(stack, "eve@example.com")
            let watcher = try StackChild(["client", "sync", "--watch", "--config", stack.config.file, "--device", "b"])
            #expect(try await eventuallyTrue { watcher.err.contains("connected") }, "\(watcher.err)")

            let started = ContinuousClock.now
            let id = try await ClientSyncTests.insert(stack, device: "a", "title=hello watch", "content=x")
            _ = try await ClientSyncTests.sync(stack, device: "a")
            let insertLine = "documents \(id) insert"
            #expect(try await watcher.waitForOutput { $0.contains(insertLine) }, "out: \(watcher.out) err: \(watcher.err)")
            let elapsed = ContinuousClock.now - started
            #expect(elapsed < .seconds(10), "the change took \(elapsed)")
            let line = watcher.out.split(separator: "\n").first { $0.contains(insertLine) }.map(String.init) ?? ""
            #expect(line.contains(#"title="hello watch""#) && line.contains(#"content="x""#), "\(line)")

            #expect(try await CLI.client(stack, device: "a", "update", "documents", id, "title=renamed").status == 0)
            _ = try await ClientSyncTests.sync(stack, device: "a")
            #expect(
                try await watcher.waitForOutput { $0.contains("documents \(id) update title=\"renamed\"") },
                "\(watcher.out)")
            // B's own write goes up through the watch and reaches A.
            let fromB = try await ClientSyncTests.insert(stack, device: "b", "title=from b")
            try await eventually {
                try await scalar(stack.database.databaseURL, "SELECT title FROM documents WHERE id = '\(fromB)'")
            } until: {
                $0 == "from b"
            }

            watcher.kill(SIGTERM)
            #expect(await watcher.wait() == 0, "\(watcher.err)")

            let json = try StackChild(
                ["client", "sync", "--watch", "--json", "--config", stack.config.file, "--device", "b"])
            #expect(try await eventuallyTrue { json.err.contains("connected") }, "\(json.err)")
            #expect(try await CLI.client(stack, device: "a", "delete", "documents", id).status == 0)
            _ = try await ClientSyncTests.sync(stack, device: "a")
            #expect(try await json.waitForOutput { $0.contains(id) }, "\(json.out)")
            let object = try #require(
                try json.out.split(separator: "\n").compactMap { line in
                    try CLI.json(String(line)) as? [String: Any]
                }.first { $0["id"] as? String == id })
            #expect(object["table"] as? String == "documents" && object["op"] as? String == "update")
            let columns = try #require(object["columns"] as? [String: Any])
            #expect(columns["deleted_at"] is String && columns.count == 1, "soft delete sets deleted_at: \(columns)")
            json.kill(SIGINT)
            #expect(await json.wait() == 0, "\(json.err)")
        }
    }

    @Test("client shell in a real terminal (tmux): commands at the prompt, live changes above it, offline/online, quit")
    func shellInTmux() async throws {
        guard let tmux = Tmux.executable else {
            print("skipped: tmux is not installed (dev/install-deps --test installs it)")
            return
        }
        try await CLI.withStack { stack in
            try await Self.twoDevices(stack, "fin@example.com")
            let terminal = try await Tmux.start(
                tmux: tmux,
                "'\(stackBinary)' client shell --config '\(stack.config.file)' --device b; echo \"shell-exit=$?\"")
            defer { terminal.close() }
            #expect(try await terminal.waitFor { $0.contains("-- connected") && $0.contains("b>") }, "\(terminal.screen())")

            // A change from device A appears above the prompt.
            let id = try await ClientSyncTests.insert(stack, device: "a", "title=from-a")
            _ = try await ClientSyncTests.sync(stack, device: "a")
            #expect(
                try await terminal.waitFor { $0.contains("documents \(id) insert") && $0.contains("title=\"from-a\"") },
                "\(terminal.screen())")

            // Typed commands: insert (uploaded by the background watch), ls, query.
            try await terminal.type(#"insert documents "title=typed in shell" content=hi"#)
            try await eventually {
                try await scalar(stack.database.databaseURL, "SELECT count(*)::text FROM documents WHERE title = 'typed in shell'")
            } until: {
                $0 == "1"
            }
            try await terminal.type("ls documents")
            #expect(try await terminal.waitFor { $0.contains("typed in shell") && $0.contains("(2 rows)") }, "\(terminal.screen())")
            try await terminal.type(#"query "SELECT count(*) AS n FROM documents WHERE title LIKE 'from%'""#)
            #expect(try await terminal.waitFor { $0.contains("(1 row)") }, "\(terminal.screen())")
            try await terminal.type("help")
            #expect(try await terminal.waitFor { $0.contains("offline   online") }, "\(terminal.screen())")
            try await terminal.type("frobnicate")
            #expect(try await terminal.waitFor { $0.contains("unknown command 'frobnicate'") })

            // Offline: writes queue; online: they go up.
            try await terminal.type("offline")
            #expect(try await terminal.waitFor { $0.contains("device b is offline") })
            try await terminal.type("insert documents title=queued-offline")
            try await terminal.type("status")
            #expect(try await terminal.waitFor { $0.contains("pending       1 upload(s)") }, "\(terminal.screen())")
            try await Task.sleep(for: .milliseconds(500))
            #expect(
                try await scalar(stack.database.databaseURL, "SELECT count(*)::text FROM documents WHERE title = 'queued-offline'")
                    == "0")
            try await terminal.type("online")
            try await eventually {
                try await scalar(stack.database.databaseURL, "SELECT count(*)::text FROM documents WHERE title = 'queued-offline'")
            } until: {
                $0 == "1"
            }

            try await terminal.type("quit")
            #expect(try await terminal.waitFor { $0.contains("shell-exit=0") }, "\(terminal.screen())")
        }
    }
}

/// Polls `condition` until it holds (20 s at most).
func eventuallyTrue(timeout: Duration = .seconds(20), _ condition: () throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try condition()
}

/// A detached tmux session on its own server socket, 200×50, running one shell command.
struct Tmux: Sendable {
    let executable: String
    let socket: String
    let session = "t"

    /// The tmux binary on PATH, if any.
    static let executable: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { $0 + "/tmux" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Starts `command` in a new session; the pane stays open after it exits so its last output can be read.
    static func start(tmux executable: String, _ command: String) async throws -> Tmux {
        let tmux = Tmux(executable: executable, socket: "stack-test-\(UUID().uuidString.prefix(8))")
        try await tmux.run(["new-session", "-d", "-s", tmux.session, "-x", "200", "-y", "50", command + "; sleep 60"])
        return tmux
    }

    /// Types `text` and Enter.
    func type(_ text: String) async throws {
        try await run(["send-keys", "-t", session, "-l", text])
        try await run(["send-keys", "-t", session, "Enter"])
    }

    /// The visible screen.
    func screen() -> String {
        let arguments = ["-L", socket, "capture-pane", "-p", "-J", "-t", session]
        return (try? ProcessRunner.run(executable, arguments).output) ?? ""
    }

    /// Polls the screen until `condition` holds (20 s at most).
    func waitFor(_ condition: (String) -> Bool) async throws -> Bool {
        try await eventuallyTrue { condition(screen()) }
    }

    /// Ends the session and its server.
    func close() {
        _ = try? ProcessRunner.run(executable, ["-L", socket, "kill-server"])
    }

    private func run(_ arguments: [String]) async throws {
        let all = ["-L", socket] + arguments
        let executable = self.executable
        let result = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try ProcessRunner.run(executable, all) }) }
        }
        if result.status != 0 { throw SyncTestError("tmux \(arguments.first ?? ""): \(result.output)") }
    }
}
