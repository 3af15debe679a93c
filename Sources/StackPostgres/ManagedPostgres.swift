import Foundation
import Logging
import StackConfig
import StackCore

/// The cluster `stack up` runs itself: initdb on first run, pg_ctl start/stop, logs under the state directory.
///
/// initdb and postgres refuse to run as root; as root they run as Debian's `postgres` user, which owns the data
/// directory. The cluster listens on 127.0.0.1 only, with trust authentication for loopback connections.
public struct ManagedPostgres: Sendable {
    /// Data directory.
    public let dataDir: String
    /// Server log file.
    public let logFile: String
    /// Application database name.
    public let database: String
    /// TCP port on 127.0.0.1.
    public let port: Int
    /// The server programs.
    public let binaries: PostgresBinaries
    /// `max_slot_wal_keep_size` applied at every start.
    public let maxSlotWALKeepSize: String
    /// The unprivileged user the server runs as when stack runs as root.
    public let runAs: String?
    /// Extra `-c name=value` settings (tests use these to break things on purpose).
    public let extraSettings: [String: String]

    /// Superuser name created by initdb.
    public static let superuser = "postgres"

    /// Resolves binaries, user and port for the configured cluster (the port is chosen once and remembered).
    public static func prepare(
        settings: ManagedPostgresSettings, stateDir: String, extraSettings: [String: String] = [:]
    ) throws -> ManagedPostgres {
        let binaries = try PostgresBinaries.locate()
        let runAs: String? = geteuid() == 0 ? "postgres" : nil
        if let runAs, getpwnam(runAs) == nil {
            throw StackError(
                "STACK-P002",
                "running as root, but there is no '\(runAs)' user to run Postgres as (initdb and postgres refuse root). "
                    + "Install Debian's postgresql package (it creates the user) or run stack as a normal user.")
        }
        let port = try settings.port ?? rememberedOrFreePort(dataDir: settings.dataDir)
        return ManagedPostgres(
            dataDir: settings.dataDir, logFile: stateDir + "/logs/postgres.log", database: settings.database,
            port: port, binaries: binaries, maxSlotWALKeepSize: settings.maxSlotWALKeepSize, runAs: runAs,
            extraSettings: extraSettings)
    }

    /// The superuser URL of the application database.
    public var url: DatabaseURL {
        DatabaseURL(user: Self.superuser, password: nil, host: "127.0.0.1", port: port, database: database)
    }

    /// True once initdb has run in the data directory.
    public var isInitialized: Bool { FileManager.default.fileExists(atPath: dataDir + "/PG_VERSION") }

    /// Runs initdb if the data directory is new; checks the major version of an existing one.
    /// Returns true when it created the cluster.
    @discardableResult
    public func initializeIfNeeded(logger: Logger) throws -> Bool {
        if isInitialized {
            try checkVersion()
            return false
        }
        let fm = FileManager.default
        if let contents = try? fm.contentsOfDirectory(atPath: dataDir), !contents.isEmpty {
            throw StackError(
                "STACK-P005",
                "\(dataDir) exists and is not empty, but is not a Postgres data directory. "
                    + "Move it away or set postgres.managed.data_dir to another path.")
        }
        try checkReachableByServerUser()
        try makeDirectory(dataDir, owner: runAs, mode: 0o700)
        try makeDirectory((logFile as NSString).deletingLastPathComponent, owner: nil, mode: 0o755)
        logger.notice("initializing managed postgres", metadata: ["postgres.data_dir": "\(dataDir)"])
        let result = try ProcessRunner.run(
            binaries.path("initdb"),
            ["-D", dataDir, "-U", Self.superuser, "--auth=trust", "-E", "UTF8", "--locale=C"],
            asUser: runAs)
        guard result.status == 0 else {
            throw StackError("STACK-P006", "initdb failed (exit \(result.status)):\n\(result.output.suffix(2000))")
        }
        let settings = """

            # Added by stack: loopback only, logical replication for the sync service.
            listen_addresses = '127.0.0.1'
            unix_socket_directories = ''
            wal_level = logical
            max_replication_slots = 20
            max_wal_senders = 20
            """
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dataDir + "/postgresql.conf"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(settings.utf8))
        try handle.close()
        try rememberPort()
        return true
    }

    /// Refuses, with the fix, a data directory or log file the server's user cannot reach: running as root, Postgres
    /// runs as `postgres`, which cannot pass through a directory such as `/root` or a `mktemp -d` one (mode 0700), and
    /// initdb then failed with its own "could not change directory … Permission denied".
    public func checkReachableByServerUser() throws {
        guard let runAs, let entry = getpwnam(runAs) else { return }
        let (uid, gid) = (entry.pointee.pw_uid, entry.pointee.pw_gid)
        var groups = [gid_t](repeating: 0, count: 64)
        var count = Int32(groups.count)
        if getgrouplist(runAs, gid, &groups, &count) < 0 { count = 0 }
        let memberOf = Set(groups.prefix(Int(max(count, 0)))).union([gid])
        for directory in Self.ancestors(of: [dataDir, logFile]) {
            var info = stat()
            guard stat(directory, &info) == 0 else { continue }  // not created yet: stack creates it with 0755
            let mode = info.st_mode
            let searchable =
                info.st_uid == uid
                ? mode & S_IXUSR != 0 : memberOf.contains(info.st_gid) ? mode & S_IXGRP != 0 : mode & S_IXOTH != 0
            guard !searchable else { continue }
            let owner = getpwuid(info.st_uid).map { String(cString: $0.pointee.pw_name) } ?? String(info.st_uid)
            throw StackError(
                "STACK-P013",
                "running as root, stack runs Postgres as the user '\(runAs)' (initdb and postgres refuse root), and "
                    + "'\(runAs)' cannot enter \(directory) (mode \(String(mode & 0o777, radix: 8)), owner \(owner)) on "
                    + "the way to \(dataDir). Fix: chmod o+x \(directory) (others may pass through, not list it), or "
                    + "set state_dir (and postgres.managed.data_dir) to a directory '\(runAs)' can reach, or run "
                    + "stack as a normal user.")
        }
    }

    /// Every directory above `paths`, from the root down, each once.
    static func ancestors(of paths: [String]) -> [String] {
        var seen: Set<String> = []
        var result: [String] = []
        for path in paths {
            var parts = URL(fileURLWithPath: path).standardizedFileURL.pathComponents.dropLast()
            var chain: [String] = []
            while !parts.isEmpty {
                chain.append(parts.count == 1 ? "/" : "/" + parts.dropFirst().joined(separator: "/"))
                parts = parts.dropLast()
            }
            for directory in chain.reversed() where seen.insert(directory).inserted { result.append(directory) }
        }
        return result
    }

    /// True when a server is running on this data directory.
    public func isRunning() -> Bool {
        guard isInitialized else { return false }
        let result = try? ProcessRunner.run(binaries.path("pg_ctl"), ["status", "-D", dataDir], asUser: runAs)
        return result?.status == 0
    }

    /// Starts the server and waits until it accepts connections. An already running server is adopted.
    /// Returns false when it was already running.
    @discardableResult
    public func start(logger: Logger) throws -> Bool {
        if isRunning() {
            logger.notice("managed postgres already running; adopting it", metadata: ["postgres.port": "\(port)"])
            return false
        }
        guard PortProbe.isFree(host: "127.0.0.1", port: port) else {
            throw StackError(
                "STACK-P004",
                "port \(port) on 127.0.0.1 is in use by another program, so the managed Postgres cannot start. "
                    + "Stop that program or set postgres.managed.port to a free port.")
        }
        try checkReachableByServerUser()
        try prepareLogFile()
        let options = ["-p \(port)"] + commandLineSettings.map { "-c \($0.name)=\($0.value)" }
        let result = try ProcessRunner.run(
            binaries.path("pg_ctl"),
            ["start", "-D", dataDir, "-l", logFile, "-w", "-t", "60", "-s", "-o", options.joined(separator: " ")],
            asUser: runAs)
        guard result.status == 0 else {
            throw StackError(
                "STACK-P007",
                "managed postgres failed to start (pg_ctl exit \(result.status)). \(result.output)\n"
                    + "Last lines of \(logFile):\n" + (lastLogLines().map { $0.joined(separator: "\n") } ?? "(none)"))
        }
        return true
    }

    /// The `-c name=value` settings of every start, `extraSettings` last (they replace a default of the same name).
    ///
    /// wal_level is here and not only in postgresql.conf: an `ALTER SYSTEM SET wal_level = replica` would otherwise
    /// win at the next start, and Postgres refuses to start at all while a logical slot exists and wal_level is below
    /// logical — a cluster that stack itself could no longer start, nor doctor inspect.
    var commandLineSettings: [(name: String, value: String)] {
        let defaults = [
            ("listen_addresses", "127.0.0.1"), ("unix_socket_directories", ""),
            ("max_slot_wal_keep_size", maxSlotWALKeepSize), ("wal_level", "logical"),
        ]
        let kept = defaults.filter { extraSettings[$0.0] == nil }.map { (name: $0.0, value: $0.1) }
        return kept + extraSettings.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
    }

    /// The last lines of the server log (what it said before it stopped or failed to start), nil without a log.
    public func lastLogLines(_ count: Int = 8) -> [String]? {
        guard let text = try? String(contentsOfFile: logFile, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").suffix(count).map(String.init)
    }

    /// Stops the server (fast shutdown: open transactions roll back, committed data is safe).
    public func stop() throws {
        guard isRunning() else { return }
        let result = try ProcessRunner.run(
            binaries.path("pg_ctl"), ["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "60", "-s"], asUser: runAs)
        guard result.status == 0 else {
            throw StackError("STACK-P008", "pg_ctl stop failed (exit \(result.status)): \(result.output)")
        }
    }

    private func checkVersion() throws {
        let text = (try? String(contentsOfFile: dataDir + "/PG_VERSION", encoding: .utf8)) ?? ""
        let version = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        guard version == binaries.majorVersion else {
            throw StackError(
                "STACK-P003",
                "\(dataDir) was created by PostgreSQL \(version), but the installed server is "
                    + "PostgreSQL \(binaries.majorVersion). Install postgresql-\(version), or move the directory away "
                    + "(its data is then not used), or set postgres.managed.data_dir to another path.")
        }
    }

    private func prepareLogFile() throws {
        let directory = (logFile as NSString).deletingLastPathComponent
        try makeDirectory(directory, owner: nil, mode: 0o755)
        if !FileManager.default.fileExists(atPath: logFile) {
            FileManager.default.createFile(atPath: logFile, contents: nil, attributes: [.posixPermissions: 0o640])
        }
        if let runAs { try chown(logFile, to: runAs) }
    }

    private func rememberPort() throws {
        try Data("\(port)\n".utf8).write(to: URL(fileURLWithPath: Self.portFile(dataDir: dataDir)))
    }

    static func portFile(dataDir: String) -> String { dataDir + "/stack.port" }

    static func rememberedOrFreePort(dataDir: String) throws -> Int {
        if let text = try? String(contentsOfFile: portFile(dataDir: dataDir), encoding: .utf8),
            let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            return port
        }
        return try PortProbe.freePort()
    }
}
