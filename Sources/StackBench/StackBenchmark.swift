import AsyncHTTPClient
import Foundation
import Logging
import PostgresNIO
import StackCore
import StackPostgres

/// What `stack bench` measures and how much.
public struct BenchOptions: Sendable {
    /// Rows synced to one client in the initial-sync figure.
    public var rows = 100_000
    /// Concurrent idle streams for the memory/CPU figure.
    public var idleStreams = 1000
    /// Clients of one user in the fan-out figure.
    public var fanoutClients = 100
    /// Commits timed in the fan-out figure.
    public var fanoutCommits = 30
    /// Repetitions of each throughput figure (the table shows median and range).
    public var repeats = 3
    /// Where the bench stack and its Postgres live.
    public var directory: String

    /// Options with defaults.
    public init(directory: String) {
        self.directory = directory
    }
}

/// One line of the bench table.
public struct BenchFigure: Sendable, Encodable {
    /// What was measured.
    public var name: String
    /// Median over the repetitions.
    public var value: Double
    /// Smallest and largest repetition.
    public var min: Double
    public var max: Double
    /// Unit of `value`.
    public var unit: String
    /// The same-run baseline it is compared with, if any.
    public var baseline: String?
    /// value / baseline value.
    public var ratio: Double?
    /// Number of repetitions / samples.
    public var samples: Int

    init(_ name: String, _ values: [Double], unit: String, baseline: String? = nil, baselineValue: Double? = nil) {
        let sorted = values.sorted()
        let median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        self.name = name
        self.value = median
        self.min = sorted.first ?? 0
        self.max = sorted.last ?? 0
        self.unit = unit
        self.baseline = baseline
        self.ratio = baselineValue.map { $0 > 0 ? median / $0 : 0 }
        self.samples = values.count
    }
}

/// `stack bench`: starts a real stack (child process, managed Postgres) and measures it from outside.
public enum StackBenchmark {
    /// Runs every figure; `progress` gets one line per step.
    public static func run(_ options: BenchOptions, progress: @escaping @Sendable (String) -> Void) async throws
        -> [BenchFigure]
    {
        progress("starting a stack under \(options.directory) (managed Postgres; first run runs initdb)")
        let stack = try BenchStack.start(
            directory: options.directory, maxConnections: options.idleStreams + options.fanoutClients + 20)
        defer { stack.stop() }
        var figures = [BenchFigure("startup: stack up until ready", [stack.startupSeconds], unit: "s")]
        let url = try DatabaseURL(parsing: stack.endpoints.databaseURL)
        var logger = Logger(label: "stack.bench")
        logger.logLevel = .critical
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(120),
            concurrentHTTP1ConnectionsPerHostSoftLimit: options.idleStreams + options.fanoutClients + 20)
        configuration.timeout = .init(connect: .seconds(10), read: .hours(1))
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            // Idle streams first, on a fresh server: the later throughput runs leave allocator caches behind.
            figures += try await idle(options, stack: stack, http: http, progress: progress)
            figures += try await PostgresClient.withClient(url, logger: logger) { db in
                try await replicationAndInitialSync(
                    options, stack: stack, db: db, url: url, http: http, progress: progress)
                    + fanout(options, stack: stack, db: db, http: http, progress: progress)
            }
            let after = try ProcessSample.take(pid: stack.endpoints.pid)
            figures.append(
                BenchFigure("server RSS after all figures", [Double(after.residentBytes) / 1_048_576], unit: "MiB"))
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
        return figures
    }

    /// Waits until replication has a checkpoint covering `rows` ops in `user`'s bucket.
    static func waitForReplication(_ db: PostgresClient, user: String, rows: Int, logger: Logger) async throws {
        let deadline = ContinuousClock.now + .seconds(900)
        let bucket = "#by_user[\"\(user)\"]"
        while ContinuousClock.now < deadline {
            let rowsQuery = try await db.query(
                """
                SELECT count(*)::bigint, coalesce(max(op_id), 0),
                  coalesce((SELECT max(last_checkpoint) FROM powersync.replication_streams WHERE state = 'ACTIVE'), 0)
                FROM powersync.bucket_data WHERE bucket_name = (
                  SELECT id::text FROM powersync.replication_streams WHERE state = 'ACTIVE' ORDER BY id DESC LIMIT 1
                ) || \(bucket)
                """, logger: logger)
            for try await (count, maxOp, checkpoint) in rowsQuery.decode((Int64, Int64, Int64).self) {
                if count >= rows && checkpoint >= maxOp { return }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BenchError("replication did not catch up within 15 minutes")
    }

    static func replicationAndInitialSync(
        _ options: BenchOptions, stack: BenchStack, db: PostgresClient, url: DatabaseURL, http: HTTPClient,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> [BenchFigure] {
        let logger = Logger(label: "stack.bench")
        let rows = options.rows
        // A user and ids of this run only: a reused bench database keeps the rows (and bucket history) of earlier runs.
        let run = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let user = "bench-\(run)"
        try await db.query("DROP TABLE IF EXISTS bench_plain", logger: logger)
        try await db.query(
            "CREATE TABLE bench_plain (id text PRIMARY KEY, owner_id text, title text, content text)", logger: logger)
        let insert =
            "SELECT 'd-\(run)-' || g, '\(user)', 'title ' || g, repeat(md5(g::text), 6) "
            + "FROM generate_series(1, \(rows)) g"
        progress("inserting \(rows) rows into a plain table (baseline), then into the synced table")
        let plainStart = ContinuousClock.now
        try await db.query(PostgresQuery(unsafeSQL: "INSERT INTO bench_plain " + insert), logger: logger)
        let plainSeconds = (ContinuousClock.now - plainStart).seconds
        let start = ContinuousClock.now
        try await db.query(PostgresQuery(unsafeSQL: "INSERT INTO bench_docs " + insert), logger: logger)
        try await waitForReplication(db, user: user, rows: rows, logger: logger)
        let replicated = (ContinuousClock.now - start).seconds
        var figures = [
            BenchFigure(
                "replication: one \(rows)-row transaction, commit to checkpoint", [Double(rows) / replicated],
                unit: "rows/s", baseline: "INSERT of the same rows into an unreplicated table",
                baselineValue: Double(rows) / plainSeconds)
        ]

        let query = "SELECT id, title, content FROM bench_docs WHERE owner_id = '\(user)'"
        var copyRates: [Double] = []
        var syncRates: [Double] = []
        var megabytes: [Double] = []
        for round in 1...options.repeats {
            progress("initial sync of \(rows) rows to one client, round \(round)/\(options.repeats)")
            let copyStart = ContinuousClock.now
            let copied = try CopyOut.run(url, query: query)
            copyRates.append(Double(copied.rows) / (ContinuousClock.now - copyStart).seconds)

            let opPattern = Array(#"{"op_id":""#.utf8)
            var ops = 0
            let syncStart = ContinuousClock.now
            let bytes = try await RawSyncStream.read(
                client: http, syncURL: stack.endpoints.syncURL, token: stack.token(user: user)
            ) {
                line, _ in
                if RawSyncStream.isLine(line, key: "data") { ops += RawSyncStream.count(opPattern, in: line) }
                return !RawSyncStream.isLine(line, key: "checkpoint_complete")
            }
            let seconds = (ContinuousClock.now - syncStart).seconds
            guard ops == rows else { throw BenchError("initial sync delivered \(ops) ops, expected \(rows)") }
            syncRates.append(Double(ops) / seconds)
            megabytes.append(Double(bytes) / seconds / 1_000_000)
        }
        let copyMedian = copyRates.sorted()[copyRates.count / 2]
        figures.append(
            BenchFigure(
                "initial sync: \(rows) rows to one client", syncRates, unit: "ops/s",
                baseline: "COPY … TO STDOUT of the same rows", baselineValue: copyMedian))
        figures.append(BenchFigure("initial sync: bytes on the wire", megabytes, unit: "MB/s"))
        figures.append(BenchFigure("baseline: COPY … TO STDOUT", copyRates, unit: "rows/s"))
        return figures
    }

    static func fanout(
        _ options: BenchOptions, stack: BenchStack, db: PostgresClient, http: HTTPClient,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> [BenchFigure] {
        let logger = Logger(label: "stack.bench")
        let user = "fan-user"
        let token = stack.token(user: user)
        let clients = options.fanoutClients
        let commits = options.fanoutCommits
        progress("fan-out: \(clients) clients of one user, \(commits) commits")
        let arrivals = ArrivalBoard(commits: commits, clients: clients)
        // Ids unique to this run: a reused bench database still holds the rows of earlier runs.
        let run = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let marker = Array(#""object_id":"fan-\#(run)-"#.utf8)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                group.addTask {
                    _ = try await RawSyncStream.read(client: http, syncURL: stack.endpoints.syncURL, token: token) {
                        line, at in
                        if RawSyncStream.isLine(line, key: "checkpoint_complete") { arrivals.connected(client) }
                        guard RawSyncStream.isLine(line, key: "data") else { return true }
                        var index = line.startIndex
                        while let hit = line[index...].firstIndex(of: marker[0]) {
                            if line[hit...].starts(with: marker) {
                                let digits = line[(hit + marker.count)...].prefix { $0 >= 0x30 && $0 <= 0x39 }
                                if let commit = Int(String(decoding: digits, as: UTF8.self)) {
                                    arrivals.record(commit: commit, client: client, at: at)
                                }
                                index = hit + marker.count
                            } else {
                                index = hit + 1
                            }
                        }
                        return !arrivals.done
                    }
                }
            }
            try await arrivals.waitConnected(timeout: .seconds(60))
            var latencies: [Double] = []
            for commit in 0..<commits {
                // From the moment the autocommit INSERT is sent (its round trip is included) to each client's line.
                let sent = ContinuousClock.now
                try await db.query(
                    "INSERT INTO bench_docs VALUES (\("fan-\(run)-\(commit)"), \(user), 'fan', 'x')", logger: logger)
                let received = try await arrivals.wait(commit: commit, timeout: .seconds(10))
                latencies += received.map { ($0 - sent).seconds * 1000 }
                try await Task.sleep(for: .milliseconds(20))
            }
            arrivals.finish()
            group.cancelAll()
            let sorted = latencies.sorted()
            func percentile(_ p: Double) -> Double {
                sorted[Swift.min(sorted.count - 1, Int(Double(sorted.count) * p))]
            }
            return [
                BenchFigure("fan-out to \(clients) clients: INSERT sent to line received, p50", [percentile(0.5)], unit: "ms"),
                BenchFigure("fan-out to \(clients) clients: INSERT sent to line received, p99", [percentile(0.99)], unit: "ms"),
            ]
        }
    }

    static func idle(
        _ options: BenchOptions, stack: BenchStack, http: HTTPClient, progress: @escaping @Sendable (String) -> Void
    ) async throws -> [BenchFigure] {
        let pid = stack.endpoints.pid
        try await Task.sleep(for: .seconds(2))
        let before = try ProcessSample.take(pid: pid)
        let streams = options.idleStreams
        progress("opening \(streams) idle streams (one user each)")
        let arrivals = ArrivalBoard(commits: 0, clients: streams)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<streams {
                let token = stack.token(user: "idle-\(index)")
                group.addTask {
                    _ = try await RawSyncStream.read(client: http, syncURL: stack.endpoints.syncURL, token: token) {
                        line, _ in
                        if RawSyncStream.isLine(line, key: "checkpoint_complete") { arrivals.connected(index) }
                        return !arrivals.done
                    }
                }
            }
            try await arrivals.waitConnected(timeout: .seconds(120))
            progress("\(streams) streams connected; sampling the server for 10 s")
            try await Task.sleep(for: .seconds(2))
            let start = try ProcessSample.take(pid: pid)
            let wallStart = ContinuousClock.now
            try await Task.sleep(for: .seconds(10))
            let end = try ProcessSample.take(pid: pid)
            let wall = (ContinuousClock.now - wallStart).seconds
            arrivals.finish()
            group.cancelAll()
            return [
                BenchFigure("server RSS, idle (no streams)", [Double(before.residentBytes) / 1_048_576], unit: "MiB"),
                BenchFigure(
                    "server RSS with \(streams) idle streams", [Double(end.residentBytes) / 1_048_576], unit: "MiB"),
                BenchFigure(
                    "server CPU with \(streams) idle streams", [(end.cpuSeconds - start.cpuSeconds) / wall * 100],
                    unit: "% of one core"),
            ]
        }
    }
}

/// Who received what when, shared by the reader tasks.
final class ArrivalBoard: @unchecked Sendable {
    private let lock = NSLock()
    private var times: [[ContinuousClock.Instant?]]
    private var connectedClients: Set<Int> = []
    private let clients: Int
    private var finished = false

    init(commits: Int, clients: Int) {
        self.clients = clients
        times = Array(repeating: Array(repeating: nil, count: clients), count: commits)
    }

    var done: Bool { lock.withLock { finished } }

    func finish() { lock.withLock { finished = true } }

    func connected(_ client: Int) { _ = lock.withLock { connectedClients.insert(client) } }

    func record(commit: Int, client: Int, at: ContinuousClock.Instant) {
        lock.withLock {
            guard commit < times.count, times[commit][client] == nil else { return }
            times[commit][client] = at
        }
    }

    func waitConnected(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while lock.withLock({ connectedClients.count }) < clients {
            if ContinuousClock.now > deadline {
                throw BenchError("only \(lock.withLock { connectedClients.count }) of \(clients) streams connected")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func wait(commit: Int, timeout: Duration) async throws -> [ContinuousClock.Instant] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let received = lock.withLock { times[commit].compactMap { $0 } }
            if received.count == clients { return received }
            if ContinuousClock.now > deadline {
                throw BenchError("commit \(commit) reached \(received.count) of \(clients) clients in \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}
