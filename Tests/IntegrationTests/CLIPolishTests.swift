import Foundation
import StackPostgres
import StackTesting
import Testing

/// Command-line details: the detached log per run, help texts that list what works, commands that start the managed
/// Postgres for themselves, warnings where the help promises them.
@Suite("stack CLI details", .serialized)
struct CLIPolishTests {
    @Test("up --detach moves the previous stack.log to stack.log.1; a failure shows only this run's lines")
    func detachedLogPerRun() async throws {
        let (path, stateDir) = try managedConfig()
        defer { try? FileManager.default.removeItem(atPath: stateDir) }
        let logs = stateDir + "/logs"
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let previous = "2025-01-01T00:00:00Z notice: stack is up (pid 424242)\n"
        try previous.write(toFile: logs + "/stack.log", atomically: true, encoding: .utf8)
        let listener = try await TestListener.start()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(
            of: #"api:\n  listen: 127.0.0.1:\d+"#, with: "api:\n  listen: 127.0.0.1:\(listener.port)",
            options: .regularExpression
        ).write(toFile: path, atomically: true, encoding: .utf8)
        let up = try await runStack(["up", "--detach", "--config", path])
        await listener.stop()
        #expect(up.status == 1)
        #expect(up.err.contains("STACK-S001"), "\(up.err)")
        #expect(!up.err.contains("424242"), "the previous run's lines are not this run's failure: \(up.err)")
        #expect(try String(contentsOfFile: logs + "/stack.log.1", encoding: .utf8) == previous)
        #expect(!(try String(contentsOfFile: logs + "/stack.log", encoding: .utf8)).contains("424242"))
    }

    @Test("help lists what works: seed -o text|json only (env refused), up --help names STACK_PID")
    func helpTexts() async throws {
        let seed = try await runStack(["seed", "--help"])
        #expect(seed.status == 0)
        let output = try #require(seed.out.split(separator: "\n").first { $0.contains("-o, --output") })
        let values = seed.out[seed.out.range(of: String(output))!.lowerBound...].prefix(200)
        #expect(values.contains("text") && values.contains("json") && !values.contains("env"), "\(seed.out)")
        let env = try await runStack(["seed", "-o", "env", "--config", "/nonexistent/stack.yaml"])
        #expect(env.status == 64, "\(env.err)")
        let up = try await runStack(["up", "--help"])
        #expect(up.out.contains("STACK_PID"), "\(up.out)")
    }

    @Test("with the stack stopped, sync-rules explain --user and auth rotate-keys start the managed Postgres")
    func commandsWhileStopped() async throws {
        let (path, stateDir) = try managedConfig()
        defer { try? FileManager.default.removeItem(atPath: stateDir) }
        try (try String(contentsOfFile: path, encoding: .utf8) + notesRules).write(
            toFile: path, atomically: true, encoding: .utf8)
        let user =
            #"psql -X -q "$STACK_DATABASE_URL" -c "INSERT INTO \"user\" (id, name, email, \"emailVerified\") "#
            + #"VALUES ('u-explain', 'E', 'e@example.com', false)""#
        let first = try await runStack(["up", "--config", path, "--exec", user])
        #expect(first.status == 0, "\(first.err)")

        let explain = try await runStack(["sync-rules", "explain", "--user", "e@example.com", "--config", path])
        #expect(explain.status == 0, "\(explain.err)")
        #expect(explain.out.contains("u-explain"), "\(explain.out)")
        #expect(!explain.err.contains("--user needs the database"), "\(explain.err)")
        #expect(!FileManager.default.fileExists(atPath: stateDir + "/postgres/postmaster.pid"), "stopped again")

        // The help says grace should be at least auth.jwt.expires_in (15m by default): a shorter one is warned about.
        let short = try await runStack(["auth", "rotate-keys", "--grace", "1m", "--config", path])
        #expect(short.status == 0, "\(short.err)")
        #expect(
            short.err.contains("warning: --grace 1m is shorter than auth.jwt.expires_in (900 s)"), "\(short.err)")
        let long = try await runStack(["auth", "rotate-keys", "--grace", "15m", "--config", path])
        #expect(long.status == 0, "\(long.err)")
        #expect(!long.err.contains("warning"), "\(long.err)")
    }
}
