import AsyncHTTPClient
import Foundation
import Logging
import PostgresNIO
import StackCore
import StackPostgres

/// `stack bench`: starts a real stack (child process, managed Postgres) and measures it from outside.
public enum StackBenchmark {
    /// Runs every figure; `progress` gets one line per step.
    public static func run(_ options: BenchOptions, progress: @escaping @Sendable (String) -> Void) async throws
        -> [BenchFigure]
    {
        progress("starting a stack under \(options.directory) (managed Postgres; first run runs initdb)")
        var stack = try BenchStack.start(
            directory: options.directory, maxConnections: options.idleStreams + options.fanoutClients + 20)
        defer { stack.stop() }
        var startups = [stack.startupSeconds]
        for round in 1..<options.runs {
            progress("restarting the stack (stack down, stack up), round \(round + 1)/\(options.runs)")
            stack.stop()
            stack = try stack.restart()
            startups.append(stack.startupSeconds)
        }
        var figures = [BenchFigure("startup_s", "startup: stack up until ready", startups, unit: "s")]
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
            let started = stack
            let measured = try await PostgresClient.withClient(url, logger: logger) { db in
                // `stack` changes where a figure restarts the child (same config, ports and database).
                var stack = started
                var figures: [BenchFigure] = []
                let snapshot = try await snapshotAndClientApply(
                    options, stack: stack, db: db, url: url, progress: progress)
                stack = snapshot.stack
                figures += snapshot.figures
                figures += try await replicationAndInitialSync(
                    options, stack: stack, db: db, url: url, http: http, progress: progress)
                figures += try await singleRowTransactions(options, db: db, url: url, progress: progress)
                figures += try await upload(options, stack: stack, db: db, http: http, progress: progress)
                figures += try await endToEnd(options, stack: stack, progress: progress)
                figures += try await fanout(options, stack: stack, db: db, http: http, progress: progress)
                figures += try await lag(options, url: url, progress: progress)
                let after = try ProcessSample.take(pid: stack.endpoints.pid)
                figures.append(
                    BenchFigure(
                        "rss_after_mib", "server RSS after all figures", [Double(after.residentBytes) / 1_048_576],
                        unit: "MiB"))
                if options.killLoop > 0 {
                    let loop = try await killLoop(options, stack: stack, db: db, progress: progress)
                    stack = loop.stack
                    figures += loop.figures
                }
                return (stack, figures)
            }
            stack = measured.0
            figures += measured.1
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
        return figures
    }

    /// Waits until replication has a checkpoint covering `rows` ops in `user`'s bucket.
    ///
    /// Polled every 20 ms, so it must stay cheap at any storage size: the newest op of the bucket comes from the
    /// primary key `(group_id, bucket_name, op_id)`, and the ops are counted only once a checkpoint covers it. (Without
    /// `group_id` the poll was a parallel scan of all of `bucket_data` on both cores, slower with every run.)
    static func waitForReplication(_ db: PostgresClient, user: String, rows: Int, logger: Logger) async throws {
        let deadline = ContinuousClock.now + .seconds(900)
        while ContinuousClock.now < deadline {
            if let (stream, checkpoint) = try await servedStream(db, logger: logger) {
                let bucket = "\(stream)#by_user[\"\(user)\"]"
                let newest = try await db.query(
                    """
                    SELECT op_id FROM powersync.bucket_data WHERE group_id = \(stream) AND bucket_name = \(bucket)
                    ORDER BY op_id DESC LIMIT 1
                    """, logger: logger
                ).collect().first?.decode(Int64.self)
                if let newest, checkpoint >= newest {
                    let count =
                        try await db.query(
                            """
                            SELECT count(*)::bigint FROM powersync.bucket_data
                            WHERE group_id = \(stream) AND bucket_name = \(bucket)
                            """, logger: logger
                        ).collect().first?.decode(Int64.self) ?? 0
                    if count >= rows { return }
                }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BenchError("replication did not catch up within 15 minutes")
    }

    /// The served replication stream and its last checkpoint.
    static func servedStream(_ db: PostgresClient, logger: Logger) async throws -> (Int, Int64)? {
        let rows = try await db.query(
            """
            SELECT id, coalesce(last_checkpoint, 0) FROM powersync.replication_streams WHERE state = 'ACTIVE'
            ORDER BY id DESC LIMIT 1
            """, logger: logger)
        for try await (id, checkpoint) in rows.decode((Int, Int64).self) { return (id, checkpoint) }
        return nil
    }

    static func replicationAndInitialSync(
        _ options: BenchOptions, stack: BenchStack, db: PostgresClient, url: DatabaseURL, http: HTTPClient,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> [BenchFigure] {
        let logger = Logger(label: "stack.bench")
        let rows = options.rows
        var plainRates: [Double] = []
        var replicationRates: [Double] = []
        var user = ""
        for round in 1...options.runs {
            // A user and ids of this run only: a reused bench database keeps the rows (and bucket history) of
            // earlier runs.
            let run = String(UInt32.random(in: 0...UInt32.max), radix: 36)
            user = "bench-\(run)"
            try await db.query("DROP TABLE IF EXISTS bench_plain", logger: logger)
            try await db.query(
                "CREATE TABLE bench_plain (id text PRIMARY KEY, owner_id text, title text, content text)",
                logger: logger)
            let insert =
                "SELECT 'd-\(run)-' || g, '\(user)', 'title ' || g, repeat(md5(g::text), 6) "
                + "FROM generate_series(1, \(rows)) g"
            progress(
                "replication: \(rows) rows into a plain table (baseline), then the synced table, "
                    + "round \(round)/\(options.runs)")
            let plainStart = ContinuousClock.now
            try await db.query(PostgresQuery(unsafeSQL: "INSERT INTO bench_plain " + insert), logger: logger)
            plainRates.append(Double(rows) / (ContinuousClock.now - plainStart).seconds)
            let start = ContinuousClock.now
            try await db.query(PostgresQuery(unsafeSQL: "INSERT INTO bench_docs " + insert), logger: logger)
            try await waitForReplication(db, user: user, rows: rows, logger: logger)
            replicationRates.append(Double(rows) / (ContinuousClock.now - start).seconds)
        }
        var figures = [
            BenchFigure(
                "replication_rows_per_s", "replication: one \(rows)-row transaction, commit to checkpoint",
                replicationRates, unit: "rows/s", baseline: "INSERT of the same rows into an unreplicated table",
                baselineValue: BenchFigure.median(plainRates)),
            BenchFigure(
                "baseline_insert_rows_per_s", "baseline: INSERT into an unreplicated table", plainRates,
                unit: "rows/s"),
        ]

        // The last replication round's user has exactly `rows` rows.
        let query = "SELECT id, title, content FROM bench_docs WHERE owner_id = '\(user)'"
        var copyRates: [Double] = []
        var syncRates: [Double] = []
        var megabytes: [Double] = []
        for round in 1...options.runs {
            progress("initial sync of \(rows) rows to one client, round \(round)/\(options.runs)")
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
        figures.append(
            BenchFigure(
                "initial_sync_ops_per_s", "initial sync: \(rows) rows to one client", syncRates, unit: "ops/s",
                baseline: "COPY … TO STDOUT of the same rows", baselineValue: BenchFigure.median(copyRates)))
        figures.append(
            BenchFigure("initial_sync_mb_per_s", "initial sync: bytes on the wire", megabytes, unit: "MB/s"))
        figures.append(
            BenchFigure("baseline_copy_rows_per_s", "baseline: COPY … TO STDOUT", copyRates, unit: "rows/s"))
        return figures
    }

    static func fanout(
        _ options: BenchOptions, stack: BenchStack, db: PostgresClient, http: HTTPClient,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> [BenchFigure] {
        let clients = options.fanoutClients
        var p50: [Double] = []
        var p99: [Double] = []
        for round in 1...options.runs {
            progress(
                "fan-out: \(clients) clients of one user, \(options.fanoutCommits) commits, "
                    + "round \(round)/\(options.runs)")
            let latencies = try await fanoutRound(options, stack: stack, db: db, http: http)
            p50.append(BenchFigure.percentile(latencies, 0.5))
            p99.append(BenchFigure.percentile(latencies, 0.99))
        }
        return [
            BenchFigure(
                "fanout_p50_ms", "fan-out to \(clients) clients: INSERT sent to line received, p50", p50, unit: "ms"),
            BenchFigure(
                "fanout_p99_ms", "fan-out to \(clients) clients: INSERT sent to line received, p99", p99, unit: "ms"),
        ]
    }

    /// One fan-out round: the latency of every (commit, client) pair in milliseconds.
    static func fanoutRound(
        _ options: BenchOptions, stack: BenchStack, db: PostgresClient, http: HTTPClient
    ) async throws -> [Double] {
        let logger = Logger(label: "stack.bench")
        let user = "fan-user"
        let token = stack.token(user: user)
        let clients = options.fanoutClients
        let commits = options.fanoutCommits
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
            return latencies
        }
    }

    static func idle(
        _ options: BenchOptions, stack: BenchStack, http: HTTPClient, progress: @escaping @Sendable (String) -> Void
    ) async throws -> [BenchFigure] {
        let pid = stack.endpoints.pid
        try await Task.sleep(for: .seconds(1))
        var idleRSS: [Double] = []
        for _ in 0..<options.runs {
            try await Task.sleep(for: .milliseconds(300))
            idleRSS.append(Double(try ProcessSample.take(pid: pid).residentBytes) / 1_048_576)
        }
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
            progress("\(streams) streams connected; sampling the server for \(options.idleSampleSeconds) s")
            try await Task.sleep(for: .seconds(2))
            // The sampling window is cut into `runs` equal parts: the spread of RSS and CPU over them.
            var rss: [Double] = []
            var cpu: [Double] = []
            var previous = try ProcessSample.take(pid: pid)
            var previousAt = ContinuousClock.now
            let window = Duration.seconds(Double(options.idleSampleSeconds) / Double(options.runs))
            for _ in 0..<options.runs {
                try await Task.sleep(for: window)
                let sample = try ProcessSample.take(pid: pid)
                let now = ContinuousClock.now
                rss.append(Double(sample.residentBytes) / 1_048_576)
                cpu.append((sample.cpuSeconds - previous.cpuSeconds) / (now - previousAt).seconds * 100)
                previous = sample
                previousAt = now
            }
            arrivals.finish()
            group.cancelAll()
            return [
                BenchFigure("idle_rss_mib", "server RSS, idle (no streams)", idleRSS, unit: "MiB"),
                BenchFigure("streams_rss_mib", "server RSS with \(streams) idle streams", rss, unit: "MiB"),
                BenchFigure(
                    "streams_cpu_percent", "server CPU with \(streams) idle streams", cpu, unit: "% of one core"),
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
