import Foundation
import Logging
import PostgresNIO
import StackConfig
import StackCore
import StackPostgres

/// A real Postgres cluster for tests, started on a free loopback port in a temporary directory.
///
/// `shared()` starts one cluster per test process (wal_level=logical); `start(settings:)` starts a dedicated one
/// with extra settings, for tests that need a misconfigured server. A watchdog process stops and deletes each
/// cluster when the test process exits, even if it crashes.
public final class TestPostgres: Sendable {
    /// The cluster.
    public let managed: ManagedPostgres
    /// Superuser URL of the `postgres` database.
    public let adminURL: DatabaseURL
    /// The temporary directory holding it.
    public let directory: String

    /// Loopback port of the cluster.
    public var port: Int { managed.port }

    private static let sharedCluster = SharedCluster()

    // Parallel tests open many connections and walsenders; fsync off because the cluster is thrown away.
    // A stopped test stack leaves its (inactive) slot behind, so slots are counted per stack started, not per
    // stack running: 60 ran out once the suite started more stacks than that and later stacks never replicated.
    static let testDefaults = [
        "fsync": "off", "max_connections": "300", "max_wal_senders": "150", "max_replication_slots": "200",
    ]

    /// The process-wide cluster, started on first use.
    public static func shared() async throws -> TestPostgres {
        try await sharedCluster.get()
    }

    /// A dedicated cluster with extra server settings (`["wal_level": "replica"]`).
    public static func start(settings: [String: String] = [:]) throws -> TestPostgres {
        let directory = NSTemporaryDirectory() + "stack-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let managedSettings = ManagedPostgresSettings(
            dataDir: directory + "/data", port: nil, database: "postgres", maxSlotWALKeepSize: "256MB")
        let managed = try ManagedPostgres.prepare(
            settings: managedSettings, stateDir: directory,
            extraSettings: settings.merging(Self.testDefaults) { given, _ in given })
        var logger = Logger(label: "stack.test")
        logger.logLevel = .warning
        try managed.initializeIfNeeded(logger: logger)
        try managed.start(logger: logger)
        try startWatchdog(managed: managed, directory: directory)
        return TestPostgres(managed: managed, directory: directory)
    }

    private init(managed: ManagedPostgres, directory: String) {
        self.managed = managed
        self.directory = directory
        self.adminURL = managed.url.with(database: "postgres")
    }

    /// A new empty database with a unique name, so tests can run in parallel.
    public func makeDatabase(prefix: String = "t") async throws -> TestDatabase {
        let name = "\(prefix)_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12))"
        try await PostgresClient.withClient(adminURL, logger: Self.logger) { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \"\(name)\""), logger: Self.logger)
        }
        let url = adminURL.with(database: name)
        return TestDatabase(name: name, url: url.urlString, port: managed.port, databaseURL: url)
    }

    /// Stops the cluster now (the watchdog would otherwise do it at exit).
    public func stop() throws {
        try managed.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    static var logger: Logger {
        var logger = Logger(label: "stack.test")
        logger.logLevel = .warning
        return logger
    }

    private static func startWatchdog(managed: ManagedPostgres, directory: String) throws {
        let pgctl = managed.binaries.path("pg_ctl")
        let stop = managed.runAs.map { "runuser -u \($0) -- " } ?? ""
        let script = """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
            \(stop)\(pgctl) stop -D '\(managed.dataDir)' -m immediate -s >/dev/null 2>&1
            rm -rf '\(directory)'
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        process.arguments = ["/bin/sh", "-c", script]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }
}

/// A database created for one test.
public struct TestDatabase: Sendable {
    /// Database name.
    public let name: String
    /// `postgres://postgres@127.0.0.1:PORT/NAME`.
    public let url: String
    /// Port of the cluster.
    public let port: Int
    /// The parsed URL.
    public let databaseURL: DatabaseURL
}

/// Starts the shared cluster once, even when many tests ask at the same time.
private actor SharedCluster {
    private var task: Task<TestPostgres, Error>?

    func get() async throws -> TestPostgres {
        if let task { return try await task.value }
        let task = Task { try TestPostgres.start() }
        self.task = task
        return try await task.value
    }
}
