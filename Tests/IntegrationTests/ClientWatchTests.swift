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
        let signUp = try await CLI.client(
            stack, device: "a", "sign-up", "--email", email, "--password", "correct-horse")
        #expect(signUp.status == 0, "\(signUp.err)")
        try await ClientSyncTests.signIn(stack, device: "b", email)
    }

    @Test("sync --watch prints each change as it lands (text and --json) and ends with exit 0 on SIGTERM/SIGINT")
    func syncWatch() async throws {
        try await CLI.withStack { stack in
            try await Self.twoDevices(stack, "eve@example.com")
            let watcher = try StackChild(["client", "sync", "--watch", "--config", stack.config.file, "--device", "b"])
            #expect(
                try await eventuallyTrue(timeout: .seconds(120)) { watcher.err.contains("connected") }, "\(watcher.err)"
            )

            let id = try await ClientSyncTests.insert(stack, device: "a", "title=hello watch", "content=x")
            _ = try await ClientSyncTests.sync(stack, device: "a")
            let insertLine = "documents \(id) insert"
            #expect(
                try await watcher.waitForOutput(timeout: .seconds(120)) { $0.contains(insertLine) },
                "out: \(watcher.out) err: \(watcher.err)")
            let line = watcher.out.split(separator: "\n").first { $0.contains(insertLine) }.map(String.init) ?? ""
            #expect(line.contains(#"title="hello watch""#) && line.contains(#"content="x""#), "\(line)")

            #expect(try await CLI.client(stack, device: "a", "update", "documents", id, "title=renamed").status == 0)
            _ = try await ClientSyncTests.sync(stack, device: "a")
            #expect(
                try await watcher.waitForOutput(timeout: .seconds(120)) {
                    $0.contains("documents \(id) update title=\"renamed\"")
                },
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
            #expect(try await json.waitForOutput(timeout: .seconds(120)) { $0.contains(id) }, "\(json.out)")
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
            #expect(
                try await terminal.waitFor { $0.contains("-- connected") && $0.contains("b>") }, "\(terminal.screen())")

            // A change from device A appears above the prompt.
            let id = try await ClientSyncTests.insert(stack, device: "a", "title=from-a")
            _ = try await ClientSyncTests.sync(stack, device: "a")
            #expect(
                try await terminal.waitFor { $0.contains("documents \(id) insert") && $0.contains("title=\"from-a\"") },
                "\(terminal.screen())")

            // Typed commands: insert (uploaded by the background watch), ls, query.
            try await terminal.type(#"insert documents "title=typed in shell" content=hi"#)
            try await eventually {
                try await scalar(
                    stack.database.databaseURL, "SELECT count(*)::text FROM documents WHERE title = 'typed in shell'")
            } until: {
                $0 == "1"
            }
            try await terminal.type("ls documents")
            #expect(
                try await terminal.waitFor { $0.contains("typed in shell") && $0.contains("(2 rows)") },
                "\(terminal.screen())")
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
                try await scalar(
                    stack.database.databaseURL, "SELECT count(*)::text FROM documents WHERE title = 'queued-offline'")
                    == "0")
            try await terminal.type("online")
            try await eventually {
                try await scalar(
                    stack.database.databaseURL, "SELECT count(*)::text FROM documents WHERE title = 'queued-offline'")
            } until: {
                $0 == "1"
            }

            try await terminal.type("quit")
            #expect(try await terminal.waitFor { $0.contains("shell-exit=0") }, "\(terminal.screen())")
        }
    }
}

extension ClientWatchTests {
    @Test(
        "client shell (tmux): a change landing while a command is half-typed prints above it; the typed text and cursor stay"
    )
    func shellKeepsHalfTypedInput() async throws {
        guard let tmux = Tmux.executable else {
            print("skipped: tmux is not installed (dev/install-deps --test installs it)")
            return
        }
        try await CLI.withStack { stack in
            try await Self.twoDevices(stack, "gus@example.com")
            let terminal = try await Tmux.start(
                tmux: tmux,
                "'\(stackBinary)' client shell --config '\(stack.config.file)' --device b; echo \"shell-exit=$?\"")
            defer { terminal.close() }
            #expect(
                try await terminal.waitFor { $0.contains("-- connected") && $0.contains("b>") }, "\(terminal.screen())")

            // Half a command, then the cursor moved back four characters (before "half"); no Enter.
            let typed = "b> insert documents title=half"
            try await terminal.keys(["-l", "insert documents title=half"])
            try await terminal.keys(["Left", "Left", "Left", "Left"])
            let column = typed.count - 4
            #expect(try await terminal.waitFor { Tmux.lines($0).last == typed }, "\(terminal.screen())")
            #expect(try await eventuallyTrue { try terminal.cursor().x == column })

            let id = try await ClientSyncTests.insert(stack, device: "a", "title=landed")
            _ = try await ClientSyncTests.sync(stack, device: "a")
            #expect(
                try await terminal.waitFor { $0.contains("documents \(id) insert") }, "\(terminal.screen())")
            let lines = Tmux.lines(terminal.screen())
            #expect(lines.last == typed, "the half-typed line is drawn again below the change: \(lines)")
            #expect(lines.dropLast().last?.hasPrefix("documents \(id) insert") == true, "\(lines)")
            // The cursor is where it was: on the prompt's row (rows as drawn, long lines wrapped), same column.
            let cursor = try terminal.cursor()
            let rows = terminal.screen(joiningWrappedLines: false).split(
                separator: "\n", omittingEmptySubsequences: false)
            #expect(cursor.x == column, "\(cursor)")
            #expect(cursor.y < rows.count && rows[cursor.y] == typed, "\(cursor) \(rows)")

            // Typing goes on at the cursor, and Enter runs the whole line.
            try await terminal.type("a-")
            try await eventually {
                try await scalar(
                    stack.database.databaseURL, "SELECT count(*)::text FROM documents WHERE title = 'a-half'")
            } until: {
                $0 == "1"
            }

            // ^C abandons a half-typed line and the shell goes on (it used to end the shell).
            try await terminal.keys(["-l", "delete documents never"])
            try await terminal.keys(["C-c"])
            #expect(
                try await terminal.waitFor { screen in
                    let lines = Tmux.lines(screen)
                    return lines.last == "b> " && lines.contains("b> delete documents never^C")
                }, "\(terminal.screen())")
            #expect(!terminal.screen().contains("gus@example.com"))
            try await terminal.type("whoami")
            #expect(try await terminal.waitFor { $0.contains("gus@example.com") }, "\(terminal.screen())")
            #expect(!terminal.screen().contains("shell-exit"))
            try await terminal.type("quit")
            #expect(try await terminal.waitFor { $0.contains("shell-exit=0") }, "\(terminal.screen())")
        }
    }

    @Test("client shell with commands piped in (no terminal): runs them in order, no prompt, no escape sequences")
    func shellReadsPipedCommands() async throws {
        try await CLI.withStack { stack in
            try await Self.twoDevices(stack, "hal@example.com")
            let commands = "insert documents \"title=from a pipe\" content=x\nls documents\nwhoami\nquit\n"
            let command =
                "printf '%s' '\(commands)' | timeout 60 '\(stackBinary)' client shell --config '\(stack.config.file)' "
                + "--device b"
            let result = try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global().async {
                    continuation.resume(with: Result { try ProcessRunner.run("/bin/sh", ["-c", command]) })
                }
            }
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("from a pipe") && result.output.contains("(1 row)"), "\(result.output)")
            #expect(result.output.contains("hal@example.com"), "\(result.output)")
            #expect(
                !result.output.contains("\u{1B}") && !result.output.contains("b> "), "\(result.output.debugDescription)"
            )
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
        return path.split(separator: ":").map { $0 + "/tmux" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
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

    /// Sends keys as tmux names them (`Left`, `C-a`), or literal text after `-l`.
    func keys(_ keys: [String]) async throws {
        try await run(["send-keys", "-t", session] + keys)
    }

    /// The cursor's column and row in the pane (0-based).
    func cursor() throws -> (x: Int, y: Int) {
        let arguments = ["-L", socket, "display-message", "-p", "-t", session, "#{cursor_x} #{cursor_y}"]
        let parts = try ProcessRunner.run(executable, arguments).output.split(whereSeparator: \.isWhitespace)
        guard parts.count == 2, let x = Int(parts[0]), let y = Int(parts[1]) else {
            throw SyncTestError("tmux display-message: \(parts)")
        }
        return (x, y)
    }

    /// The screen's lines up to the last non-empty one.
    static func lines(_ screen: String) -> [String] {
        var lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        return lines
    }

    /// The visible screen (a line wrapped over several rows as one line, unless `joiningWrappedLines` is false).
    func screen(joiningWrappedLines: Bool = true) -> String {
        let arguments = ["-L", socket, "capture-pane", "-p"] + (joiningWrappedLines ? ["-J"] : []) + ["-t", session]
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
            DispatchQueue.global().async {
                continuation.resume(with: Result { try ProcessRunner.run(executable, all) })
            }
        }
        if result.status != 0 { throw SyncTestError("tmux \(arguments.first ?? ""): \(result.output)") }
    }
}
