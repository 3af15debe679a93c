import Foundation
import StackPostgres
import StackTesting
import Testing

/// The `stack` executable built next to this test bundle.
let stackBinary: String = {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("stack").path
}()

/// Runs `stack` with arguments off the cooperative pool (a blocked pool thread would starve in-process stacks of
/// parallel tests); returns exit status, stdout and stderr.
func runStack(_ arguments: [String], timeout: TimeInterval = 120) async throws -> (
    status: Int32, out: String, err: String
) {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try runStackBlocking(arguments, timeout: timeout) })
        }
    }
}

func runStackBlocking(_ arguments: [String], timeout: TimeInterval) throws -> (status: Int32, out: String, err: String)
{
    let directory = NSTemporaryDirectory() + "stack-cli-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let outPath = directory + "/out"
    let errPath = directory + "/err"
    let quoted = ([stackBinary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
    let result = try ProcessRunner.run(
        "/bin/sh",
        [
            "-c",
            "STACK_CLIENT_REQUEST_TIMEOUT=\(Int(HTTPTestClient.timeout.components.seconds)) timeout \(Int(timeout)) "
                + quoted.joined(separator: " ") + " >\(outPath) 2>\(errPath)",
        ])
    let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    return (result.status, out, err)
}

/// Sync rules for `managedConfig()`'s notes table, to append to its file.
let notesRules = """

    sync_rules:
      bucket_definitions:
        by_user:
          parameters: SELECT request.user_id() as user_id
          data:
            - SELECT id, body FROM notes WHERE owner_id = bucket.user_id

    """

/// A config for a managed cluster in its own state directory, on free ports.
func managedConfig() throws -> (path: String, stateDir: String) {
    let stateDir = NSTemporaryDirectory() + "stack-managed-\(UUID().uuidString.prefix(8))"
    let path = try writeConfig(
        """
        state_dir: \(stateDir)
        api:
          listen: 127.0.0.1:\(try PortProbe.freePort())
        sync:
          listen: 127.0.0.1:\(try PortProbe.freePort())
        schema:
          tables:
            notes:
              columns:
                id: { type: text, primary_key: true }
                owner_id: text
                body: text
        """)
    try FileManager.default.createDirectory(
        atPath: stateDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
    return (path, stateDir)
}

@Suite("stack CLI", .serialized)
struct CLITests {
    @Test("up --exec on a new managed cluster: initdb, schema, STACK_* variables, exit status, Postgres stopped")
    func upExec() async throws {
        let (path, stateDir) = try managedConfig()
        defer { try? FileManager.default.removeItem(atPath: stateDir) }
        let script =
            #"echo "sync=$STACK_SYNC_URL"; psql -X -At "$STACK_DATABASE_URL" -c "SELECT string_agg(tablename, ',') FROM pg_publication_tables WHERE pubname = 'powersync'"; exit 7"#
        let result = try await runStack(["up", "--config", path, "--exec", script])
        #expect(result.status == 7, "\(result.err)")
        #expect(result.out.contains("sync=http://127.0.0.1:"))
        #expect(result.out.contains("\nnotes\n"), "the publication covers exactly the synced table: \(result.out)")
        #expect(FileManager.default.fileExists(atPath: stateDir + "/postgres/PG_VERSION"))
        #expect(
            !FileManager.default.fileExists(atPath: stateDir + "/postgres/postmaster.pid"), "managed Postgres stopped")
        // Second run reuses the cluster and its remembered port.
        let port = try String(contentsOfFile: stateDir + "/postgres/stack.port", encoding: .utf8)
        let again = try await runStack(["up", "--config", path, "-o", "json", "--exec", "true"])
        #expect(again.status == 0)
        #expect(again.out.contains("127.0.0.1:\(port.trimmingCharacters(in: .whitespacesAndNewlines))/stack"))
    }

    @Test("up --detach, status -o json, down")
    func detachStatusDown() async throws {
        let (path, stateDir) = try managedConfig()
        defer { try? FileManager.default.removeItem(atPath: stateDir) }
        let up = try await runStack(["up", "--detach", "--config", path, "-o", "json"])
        #expect(up.status == 0, "\(up.err)")
        let status = try await runStack(["status", "-o", "json", "--config", path])
        #expect(status.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(status.out.utf8)) as? [String: Any]
        #expect((object?["sync_url"] as? String)?.hasPrefix("http://127.0.0.1:") == true)
        #expect(object?["running"] as? Bool == true)
        // A config being edited (an error in it) still finds the running stack through its state_dir.
        let valid = try String(contentsOfFile: path, encoding: .utf8)
        try (valid + "\nsnyc_rules: {}\n").write(toFile: path, atomically: true, encoding: .utf8)
        let edited = try await runStack(["status", "--config", path])
        #expect(edited.status == 0, "\(edited.err)")
        #expect(edited.err.contains("has errors (stack doctor lists them); using its state_dir \(stateDir)"))
        let down = try await runStack(["down", "--config", path])
        #expect(down.status == 0)
        #expect(down.out.contains("stack stopped"))
        try valid.write(toFile: path, atomically: true, encoding: .utf8)
        let after = try await runStack(["--config", path, "status"])
        #expect(after.status == 1)
        #expect(!FileManager.default.fileExists(atPath: stateDir + "/postgres/postmaster.pid"))
    }

    @Test("after kill -9 the next up adopts the managed Postgres and down stops it; a reused pid is not the stack")
    func killedStackAndReusedPid() async throws {
        let (path, stateDir) = try managedConfig()
        defer { try? FileManager.default.removeItem(atPath: stateDir) }
        let up = try await runStack(["up", "--detach", "--config", path, "-o", "json"])
        #expect(up.status == 0, "\(up.err)")
        let pid = try #require(
            (try JSONSerialization.jsonObject(with: Data(up.out.utf8)) as? [String: Any])?["pid"] as? Int)
        let runFile = try String(contentsOfFile: stateDir + "/run/stack.json", encoding: .utf8)
        let startFile = try String(contentsOfFile: stateDir + "/run/stack.start", encoding: .utf8)
        kill(pid_t(pid), SIGKILL)
        while kill(pid_t(pid), 0) == 0 { try await Task.sleep(for: .milliseconds(20)) }
        #expect(FileManager.default.fileExists(atPath: stateDir + "/postgres/postmaster.pid"), "Postgres outlives -9")

        let again = try await runStack(["up", "--detach", "--config", path])
        #expect(again.status == 0, "\(again.err)")
        #expect(again.out.contains("Stop it with: stack down --config '\(path)'"), "\(again.out)")
        let both = try await runStack(["up", "--detach", "--exec", "true", "--config", path])
        #expect(both.status == 64 && both.err.contains("cannot be combined"), "\(both.err)")
        let down = try await runStack(["down", "--config", path])
        #expect(down.status == 0, "\(down.err)")
        #expect(
            !FileManager.default.fileExists(atPath: stateDir + "/postgres/postmaster.pid"),
            "the adopted cluster stops with the stack")

        // A run file left behind whose pid now belongs to another process (after a reboot, in a container).
        let other = Process()
        other.executableURL = URL(fileURLWithPath: "/bin/sleep")
        other.arguments = ["120"]
        // Not the test's own output: a child left holding it keeps `swift test` waiting for its end.
        other.standardOutput = FileHandle.nullDevice
        other.standardError = FileHandle.nullDevice
        try other.run()
        defer {
            kill(other.processIdentifier, SIGKILL)
            other.waitUntilExit()
        }
        try runFile.replacingOccurrences(of: "\"pid\" : \(pid)", with: "\"pid\" : \(other.processIdentifier)")
            .write(toFile: stateDir + "/run/stack.json", atomically: true, encoding: .utf8)
        try startFile.write(toFile: stateDir + "/run/stack.start", atomically: true, encoding: .utf8)
        let status = try await runStack(["status", "--config", path])
        #expect(status.status == 1, "\(status.out)")
        let stale = try await runStack(["down", "--config", path])
        #expect(stale.status == 0)
        #expect(other.isRunning, "stack down signalled a process that is not the stack")
        #expect(!FileManager.default.fileExists(atPath: stateDir + "/run/stack.json"), "the stale record is removed")
    }

    @Test("sync compact and sync rebuild with the stack stopped start the managed Postgres for themselves")
    func syncMaintenanceWhileDown() async throws {
        let (path, stateDir) = try managedConfig()
        defer { try? FileManager.default.removeItem(atPath: stateDir) }
        try (try String(contentsOfFile: path, encoding: .utf8) + notesRules).write(
            toFile: path, atomically: true, encoding: .utf8)
        // `up --exec` runs its command once the stream has its first checkpoint, after the snapshot.
        let streams =
            #"psql -X -At "$STACK_DATABASE_URL" -c "SELECT string_agg(id || ':' || snapshot_done, ',' ORDER BY id) FROM powersync.replication_streams""#
        let first = try await runStack([
            "up", "--config", path, "--exec",
            #"psql -X -q "$STACK_DATABASE_URL" -c "INSERT INTO notes VALUES ('n1', 'u1', 'x')" && "# + streams,
        ])
        #expect(first.status == 0, "\(first.err)")
        #expect(first.out.hasSuffix("\n1:true\n"), "\(first.out)")

        let compact = try await runStack(["sync", "compact", "--config", path])
        #expect(compact.status == 0, "\(compact.err)")
        #expect(compact.out.contains("compacted stream 1 up to op"), "\(compact.out)")
        let rebuild = try await runStack(["sync", "rebuild", "--config", path])
        #expect(rebuild.status == 0, "\(rebuild.err)")
        #expect(rebuild.out.contains("dropped 1 replication stream(s)"), "\(rebuild.out)")
        #expect(
            !FileManager.default.fileExists(atPath: stateDir + "/postgres/postmaster.pid"),
            "the Postgres started for the command is stopped again")

        // The next start builds a new stream from a new snapshot, which holds the row again.
        let ops =
            #" -c "SELECT count(*) FROM powersync.bucket_data WHERE group_id = 2 AND source_key IS NOT NULL""#
        let second = try await runStack(["up", "--config", path, "--exec", streams + ops])
        #expect(second.status == 0, "\(second.err)")
        #expect(second.out.hasSuffix("2:true\n1\n"), "\(second.out)")
    }

    @Test("up --verbose logs every service at debug level without the auth secret or a JWKS key")
    func verboseLogsKeepSecrets() async throws {
        let (path, stateDir) = try managedConfig()
        defer { try? FileManager.default.removeItem(atPath: stateDir) }
        let secret = "log-test-secret-" + UUID().uuidString
        let key = "bG9nLXRlc3Qta2V5LWJ5dGVzLTAxMjM0NTY3ODlhYmNkZWY"
        let extra = """

            auth:
              secret: \(secret)
            """
        var yaml = try String(contentsOfFile: path, encoding: .utf8)
        yaml = yaml.replacingOccurrences(
            of: "sync:\n",
            with: "sync:\n  jwks:\n    keys:\n      - { kty: oct, alg: HS256, kid: log-test, k: \(key) }\n")
        try (yaml + extra).write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await runStack(["up", "--verbose", "--config", path, "--exec", "true"])
        #expect(result.status == 0, "\(result.err)")
        // The lifecycle library prints each service with its properties, the config among them.
        #expect(
            result.err.contains("sl-service=DatabaseSetupService(config: StackConfig(file: \(path)"), "\(result.err)")
        #expect(result.err.contains("jwksKeys: [\"log-test\"] (redacted)"))
        #expect(!result.err.contains(secret))
        #expect(!result.err.contains(key))
        #expect(!result.out.contains(secret) && !result.out.contains(key))
    }

    @Test("up --verbose on a configured database URL keeps its password out of the log")
    func verboseLogsKeepTheDatabasePassword() async throws {
        // A managed cluster to point the configured URL at (it trusts local connections: any password works).
        let (managedPath, managedState) = try managedConfig()
        defer { try? FileManager.default.removeItem(atPath: managedState) }
        let up = try await runStack(["up", "--detach", "--config", managedPath])
        #expect(up.status == 0, "\(up.err)")
        let port = try String(contentsOfFile: managedState + "/postgres/stack.port", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let password = "pw-" + UUID().uuidString
        let (path, stateDir) = try managedConfig()
        defer { try? FileManager.default.removeItem(atPath: stateDir) }
        let yaml = try String(contentsOfFile: path, encoding: .utf8)
        // With sync rules, so the replication service (which holds the URL for libpq) runs.
        let database = "postgres:\n  url: postgres://postgres:\(password)@127.0.0.1:\(port)/stack\n"
        try (yaml + notesRules + database).write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await runStack(["up", "--verbose", "--config", path, "--exec", "true"])
        _ = try await runStack(["down", "--config", managedPath])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.err.contains("sl-service=ReplicationService("), "\(result.err)")
        #expect(result.err.contains("postgres:***@127.0.0.1:\(port)"))
        #expect(!result.err.contains(password) && !result.out.contains(password))
    }

    @Test("SIGTERM stops a stack that never became ready (replication cannot start: a role without REPLICATION)")
    func signalBeforeReady() async throws {
        let (managedPath, managedState) = try managedConfig()
        defer { try? FileManager.default.removeItem(atPath: managedState) }
        let setup = try await runStack([
            "up", "--config", managedPath, "--exec",
            #"psql -X -q "$STACK_DATABASE_URL" -c "CREATE ROLE plain LOGIN" -c "CREATE DATABASE plain OWNER plain""#,
        ])
        #expect(setup.status == 0, "\(setup.err)")
        // Start the managed cluster again (without a stack) for the second config to use.
        let up = try await runStack(["up", "--detach", "--config", managedPath])
        #expect(up.status == 0, "\(up.err)")
        defer { _ = try? runStackBlocking(["down", "--config", managedPath], timeout: 60) }
        let port = try String(contentsOfFile: managedState + "/postgres/stack.port", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let (path, stateDir) = try managedConfig()
        defer { try? FileManager.default.removeItem(atPath: stateDir) }
        let database = "postgres:\n  url: postgres://plain@127.0.0.1:\(port)/plain\n"
        try (try String(contentsOfFile: path, encoding: .utf8) + notesRules + database).write(
            toFile: path, atomically: true, encoding: .utf8)
        let log = stateDir + "/up.log"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: stackBinary)
        process.arguments = ["up", "--config", path]
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait until replication has failed at least once (it retries: the stack never becomes ready).
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline,
            !((try? String(contentsOfFile: log, encoding: .utf8))?.contains("replication interrupted") ?? false)
        {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try String(contentsOfFile: log, encoding: .utf8).contains("must be superuser or replication role"))
        process.terminate()
        let stopDeadline = ContinuousClock.now + .seconds(20)
        while process.isRunning, ContinuousClock.now < stopDeadline { try await Task.sleep(for: .milliseconds(50)) }
        let stopped = !process.isRunning
        if !stopped { kill(process.processIdentifier, SIGKILL) }
        #expect(stopped, "SIGTERM did not stop a stack that was not ready")
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(!stopped || process.terminationStatus == 0, "\(output)")
    }

    @Test("a listen address that is not this machine's is said so (not 'in use'), by up and by doctor")
    func foreignListenAddress() async throws {
        let (path, stateDir) = try managedConfig()
        defer { try? FileManager.default.removeItem(atPath: stateDir) }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(
            of: #"api:\n  listen: 127.0.0.1:"#, with: "api:\n  listen: 192.0.2.7:", options: .regularExpression
        ).write(toFile: path, atomically: true, encoding: .utf8)
        let up = try await runStack(["up", "--config", path])
        #expect(up.status == 1)
        #expect(up.err.contains("STACK-S001: api.listen 192.0.2.7:"), "\(up.err)")
        #expect(up.err.contains("192.0.2.7 is not an address of this machine") && !up.err.contains("in use"))
        let doctor = try await runStack(["doctor", "--json", "--config", path])
        let checks = try #require(
            (try JSONSerialization.jsonObject(with: Data(doctor.out.utf8)) as? [String: Any])?["checks"]
                as? [[String: Any]], "\(doctor.out)")
        let port = try #require(checks.first { ($0["name"] as? String)?.hasPrefix("api.listen") == true })
        #expect(port["status"] as? String == "error")
        #expect(port["observed"] as? String == "192.0.2.7 is not an address of this machine", "\(port)")
    }

    @Test("a port in use: one clear message, exit 1, nothing started")
    func portInUse() async throws {
        let (path, stateDir) = try managedConfig()
        defer { try? FileManager.default.removeItem(atPath: stateDir) }
        let listener = try await TestListener.start()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let busy = text.replacingOccurrences(
            of: #"api:\n  listen: 127.0.0.1:\d+"#, with: "api:\n  listen: 127.0.0.1:\(listener.port)",
            options: .regularExpression)
        try busy.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await runStack(["up", "--config", path])
        await listener.stop()
        #expect(result.status == 1)
        #expect(result.err.contains("STACK-S001: api.listen 127.0.0.1:\(listener.port) is already in use"))
        #expect(!FileManager.default.fileExists(atPath: stateDir + "/postgres"), "no cluster was created")
    }

    @Test("unreachable external Postgres: the reason, no password, exit 1")
    func unreachable() async throws {
        let port = try PortProbe.freePort()
        let path = try writeConfig(
            """
            postgres:
              url: postgres://app:pa55word@127.0.0.1:\(port)/app
            api:
              listen: 127.0.0.1:\(try PortProbe.freePort())
            sync:
              listen: 127.0.0.1:\(try PortProbe.freePort())
            """)
        let result = try await runStack(["up", "--config", path])
        #expect(result.status == 1)
        #expect(result.err.contains("cannot reach Postgres at postgres://app:***@127.0.0.1:\(port)/app"))
        #expect(!result.err.contains("pa55word"))
    }

    @Test("a data directory from another Postgres version is refused with what to do")
    func otherVersion() async throws {
        let (path, stateDir) = try managedConfig()
        defer { try? FileManager.default.removeItem(atPath: stateDir) }
        try FileManager.default.createDirectory(atPath: stateDir + "/postgres", withIntermediateDirectories: true)
        try "9\n".write(toFile: stateDir + "/postgres/PG_VERSION", atomically: true, encoding: .utf8)
        let result = try await runStack(["up", "--config", path])
        #expect(result.status == 1)
        #expect(result.err.contains("STACK-P003"))
        #expect(result.err.contains("was created by PostgreSQL 9"))
    }

    @Test("missing and invalid config files: positions, exit 1")
    func badConfig() async throws {
        let missing = try await runStack(["up", "--config", "/nonexistent/stack.yaml"])
        #expect(missing.status == 1)
        #expect(missing.err.contains("STACK-C001"))
        let path = try writeConfig(
            "api:\n  listen: 127.0.0.1:abc\nschema:\n  tables:\n    t:\n      columns: { owner_id: text }\n")
        let invalid = try await runStack(["doctor", "--config", path])
        #expect(invalid.status == 1)
        #expect(invalid.out.contains("stack.yaml:2:11: api.listen"))
        #expect(invalid.out.contains("schema.tables.t.columns: missing the id column"))
        let up = try await runStack(["up", "--config", path])
        #expect(up.status == 1)
        #expect(up.err.contains("STACK-C003: 2 problems in the config file"))
    }

    @Test("--config is accepted anywhere on the command line; every command has --help")
    func configAnywhereAndHelp() async throws {
        let (path, _) = try managedConfig()
        let before = try await runStack(["--config", path, "schema", "--format", "sqlite-sql"])
        let after = try await runStack(["schema", "--format", "sqlite-sql", "--config", path])
        #expect(after.status == 0)
        #expect(after.out.contains("CREATE TABLE IF NOT EXISTS \"notes\""))
        #expect(before.status == 0)
        #expect(before.out == after.out)
        // Usage errors are 64, with the reason.
        let explain = try await runStack(["sync-rules", "explain", "--config", path])
        #expect(explain.status == 64 && explain.err.contains("Pass --user EMAIL or --sub ID."), "\(explain.err)")
        let grace = try await runStack(["auth", "rotate-keys", "--grace", "abc", "--config", path])
        #expect(grace.status == 64 && grace.err.contains("STACK-A042"), "\(grace.err)")
        for command in ["up", "down", "status", "doctor", "schema"] {
            let help = try await runStack([command, "--help"])
            #expect(help.status == 0)
            #expect(help.out.contains("--config"))
        }
    }
}

@Suite("Postgres binaries")
struct PostgresBinariesTests {
    @Test("no server programs: one message naming the Debian package")
    func missing() throws {
        let empty = NSTemporaryDirectory() + "no-pg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        #expect {
            try PostgresBinaries.locate(environment: ["PATH": empty], root: empty)
        } throws: { error in
            "\(error)".contains("STACK-P001") && "\(error)".contains("apt-get install postgresql")
        }
    }

    @Test("the installed server is found with its major version")
    func found() throws {
        let binaries = try PostgresBinaries.locate()
        #expect(binaries.majorVersion >= 14)
        #expect(FileManager.default.isExecutableFile(atPath: binaries.path("initdb")))
    }
}

/// Output to a reader that went away.
@Suite("stack output to a closed pipe")
struct ClosedPipeTests {
    @Test("stdout whose reader is gone, SIGPIPE ignored by the parent: exit 141 quietly, no crash report")
    func closedStdout() async throws {
        let config = try writeConfig(
            """
            schema:
              tables:
                notes:
                  columns:
                    id: { type: text, primary_key: true }
                    body: text
                    owner_id: text
            """)
        let (status, err): (Int32, String) = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result {
                        let output = Pipe()
                        // Nobody will ever read: the first write fails with EPIPE (SIGPIPE is ignored, as a
                        // supervisor or test runner may leave it, so the write's error is what the process sees).
                        try output.fileHandleForReading.close()
                        let errors = Pipe()
                        let process = Process()
                        process.executableURL = URL(fileURLWithPath: "/bin/sh")
                        process.arguments = [
                            "-c", "trap '' PIPE; exec \"$0\" schema --format drizzle-pg --config \"$1\"", stackBinary,
                            config,
                        ]
                        process.standardOutput = output.fileHandleForWriting
                        process.standardError = errors.fileHandleForWriting
                        try process.run()
                        try output.fileHandleForWriting.close()
                        try errors.fileHandleForWriting.close()
                        let err = errors.fileHandleForReading.readDataToEndOfFile()
                        process.waitUntilExit()
                        return (process.terminationStatus, String(decoding: err, as: UTF8.self))
                    })
            }
        }
        #expect(status == 141)
        #expect(!err.contains("Fatal error") && !err.contains("crashed"), "\(err)")
    }
}
