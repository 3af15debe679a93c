import Foundation
import StackDoctor
import StackPostgres
import StackTesting
import Testing

/// Doctor on a managed cluster that cannot start or died under a running stack: the fix matches the cause.
@Suite("stack doctor: managed cluster failures", .serialized)
struct DoctorManagedTests {
    func doctor(_ path: String) async -> DoctorReport {
        await Doctor(configPath: path, logger: testLogger).run()
    }

    /// A managed cluster with the notes rules, created and stopped again (it has a logical replication slot).
    func createdCluster() async throws -> (path: String, stateDir: String, port: Int) {
        let (path, stateDir) = try managedConfig()
        try (try String(contentsOfFile: path, encoding: .utf8) + notesRules).write(
            toFile: path, atomically: true, encoding: .utf8)
        let first = try await runStack(["up", "--config", path, "--exec", "true"])
        #expect(first.status == 0, "\(first.err)")
        let port = try String(contentsOfFile: stateDir + "/postgres/stack.port", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return (path, stateDir, try #require(Int(port)))
    }

    @Test("ALTER SYSTEM SET wal_level = replica cannot keep a managed cluster with a slot from starting")
    func walLevelOnTheCommandLine() async throws {
        let (path, stateDir, _) = try await createdCluster()
        defer { try? FileManager.default.removeItem(atPath: stateDir) }
        let alter = try await runStack([
            "up", "--config", path, "--exec",
            #"psql -X -q "$STACK_DATABASE_URL" -c "ALTER SYSTEM SET wal_level = replica""#,
        ])
        #expect(alter.status == 0, "\(alter.err)")
        // Postgres refuses to start with a logical slot and wal_level below logical, unless the start sets it.
        let again = try await runStack([
            "up", "--config", path, "--exec", #"psql -X -At "$STACK_DATABASE_URL" -c "SHOW wal_level""#,
        ])
        #expect(again.status == 0, "\(again.err)")
        #expect(again.out.hasSuffix("logical\n"), "\(again.out)")
        let report = await doctor(path)
        #expect(report.check("wal_level = logical")?.status == .ok, "\(report.text)")
        #expect(!FileManager.default.fileExists(atPath: stateDir + "/postgres/postmaster.pid"), "doctor stopped it")
    }

    @Test("a start failure's fix names its cause: the port in use and its key, else the server's last log lines")
    func startFailures() async throws {
        let (path, stateDir, port) = try await createdCluster()
        defer { try? FileManager.default.removeItem(atPath: stateDir) }

        let listener = try await TestListener.start(port: port)
        let busy = await doctor(path)
        await listener.stop()
        let portCheck = try #require(busy.check("managed cluster"), "\(busy.text)")
        #expect(portCheck.status == .error)
        #expect(portCheck.observed.contains("STACK-P004"), "\(portCheck.observed)")
        let portFix = try #require(portCheck.fix)
        #expect(
            portFix.contains("127.0.0.1:\(port)") && portFix.contains("postgres.managed.port in \(path)"), "\(portFix)")
        #expect(!portFix.contains("apt-get"))

        // A setting the server does not know: pg_ctl only says it failed, the server's log says why.
        let conf = stateDir + "/postgres/postgresql.conf"
        try (try String(contentsOfFile: conf, encoding: .utf8) + "\nno_such_setting_here = 1\n").write(
            toFile: conf, atomically: false, encoding: .utf8)
        let broken = await doctor(path)
        let startCheck = try #require(broken.check("managed cluster"), "\(broken.text)")
        #expect(startCheck.status == .error)
        #expect(startCheck.observed.hasPrefix("STACK-P007: managed postgres failed to start"), "\(startCheck.observed)")
        let startFix = try #require(startCheck.fix)
        #expect(startFix.contains("no_such_setting_here"), "\(startFix)")
        #expect(startFix.contains(stateDir + "/logs/postgres.log") && !startFix.contains("apt-get"), "\(startFix)")
        // In the text, the log lines continue the fix, indented under it.
        #expect(broken.text.contains("      fix: the server's last log lines"), "\(broken.text)")
        #expect(broken.text.contains("\n             "), "\(broken.text)")
    }

    @Test(
        "running as root under a 0700 directory: up and doctor say Postgres' user cannot enter it, fix chmod o+x",
        .enabled(if: geteuid() == 0))
    func dataDirectoryThePostgresUserCannotReach() async throws {
        let (path, stateDir) = try managedConfig()
        defer { try? FileManager.default.removeItem(atPath: stateDir) }
        chmod(stateDir, 0o700)
        let up = try await runStack(["up", "--config", path, "--exec", "true"])
        #expect(up.status != 0)
        #expect(up.err.contains("STACK-P013") && up.err.contains("chmod o+x \(stateDir)"), "\(up.err)")
        #expect(!FileManager.default.fileExists(atPath: stateDir + "/postgres/PG_VERSION"))

        let report = await doctor(path)
        let check = try #require(report.check("managed cluster"), "\(report.text)")
        #expect(check.status == .error)
        #expect(check.observed.contains("cannot enter \(stateDir) (mode 700, owner root)"), "\(check.observed)")
        #expect(check.fix?.hasPrefix("chmod o+x \(stateDir)") == true, "\(String(describing: check.fix))")
    }

    @Test("a running stack whose managed Postgres was killed: the database is unreachable, fix stack down && stack up")
    func deadPostgresUnderARunningStack() async throws {
        let (path, stateDir) = try managedConfig()
        defer { try? FileManager.default.removeItem(atPath: stateDir) }
        let up = try await runStack(["up", "--detach", "--config", path])
        #expect(up.status == 0, "\(up.err)")
        defer { _ = try? runStackBlocking(["down", "--config", path], timeout: 60) }
        let pidFile = try String(contentsOfFile: stateDir + "/postgres/postmaster.pid", encoding: .utf8)
        let postmaster = try #require(pid_t(pidFile.prefix { $0 != "\n" }))
        kill(postmaster, SIGKILL)
        while kill(postmaster, 0) == 0 { try await Task.sleep(for: .milliseconds(20)) }

        let report = await doctor(path)
        let check = try #require(report.check("reachable"), "\(report.text)")
        #expect(check.status == .error, "\(report.text)")
        #expect(check.observed.contains("is not running, but the stack (pid "), "\(check.observed)")
        #expect(check.fix?.hasPrefix("stack down && stack up") == true, "\(String(describing: check.fix))")
        #expect(report.exitCode == 1)
        let managed = try ManagedPostgres.prepare(
            settings: .init(dataDir: stateDir + "/postgres", port: nil, database: "stack", maxSlotWALKeepSize: "1GB"),
            stateDir: stateDir)
        #expect(!managed.isRunning(), "doctor must not start a cluster under a running stack")
    }
}
