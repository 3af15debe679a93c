import Foundation
import GRDB
import Logging
import StackClient
import StackTesting
import Synchronization
import Testing

/// Client-side numbers (printed, not asserted), with the StackClient library in-process so process start-up is not
/// measured. Run with `STACK_BENCH=1 swift test --filter ClientBenchmarks`.
@Suite(
    "client benchmarks", .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["STACK_BENCH"] == "1", "set STACK_BENCH=1 to run"))
struct ClientBenchmarks {
    typealias CLI = ClientCLITests

    /// A device of the test stack opened in-process (signed in through the CLI first).
    static func device(_ stack: TestStack, _ name: String) throws -> SyncClient {
        let database = try ClientDatabase(
            path: ClientResilienceTests.devicePath(stack, name), schema: stack.config.schema)
        var logger = Logger(label: "bench.\(name)")
        logger.logLevel = .critical
        return SyncClient(
            database: database, connector: StackConnector(apiBaseURL: stack.config.api.listen.httpURL),
            retry: RetryPolicy(initialDelay: .milliseconds(50), maxDelay: .seconds(1)), logger: logger)
    }

    /// The `q` quantile of sorted durations, in milliseconds.
    static func quantile(_ sorted: [Duration], _ q: Double) -> Double {
        let index = min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1)
        return Double(sorted[max(index, 0)].components.attoseconds) / 1e15 + Double(sorted[max(index, 0)].components.seconds) * 1000
    }

    @Test("insert on device A → row in device B's table: p50/p99 over 200 edits, both devices watching")
    func editLatency() async throws {
        try await CLI.withStack { stack in
            try await ClientWatchTests.twoDevices(stack, "bench@example.com")
            let a = try Self.device(stack, "a")
            let b = try Self.device(stack, "b")
            let log = ArrivalLog()
            let edits = 200
            var latencies: [Duration] = []
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await a.watch { event in
                        if case .connected = event { log.connected.withLock { $0 += 1 } }
                    }
                }
                group.addTask {
                    try await b.watch { event in
                        switch event {
                        case .connected:
                            log.connected.withLock { $0 += 1 }
                        case .checkpoint(_, .applied, let changes):
                            let now = ContinuousClock.now
                            log.arrivals.withLock { seen in
                                for row in changes.rows where row.operation == .insert { seen[row.id] = now }
                            }
                        default: break
                        }
                    }
                }
                _ = try await eventuallyTrue { log.connected.withLock { $0 } >= 2 }
                try await Task.sleep(for: .milliseconds(500))
                for index in 0..<edits {
                    let id = UUID().uuidString.lowercased()
                    let start = ContinuousClock.now
                    try a.database.write { db in
                        try db.execute(
                            sql: "INSERT INTO documents(id, title, content, created_at) VALUES (?, ?, ?, ?)",
                            arguments: [id, "edit \(index)", "latency probe", ISO8601DateFormatter().string(from: Date())])
                    }
                    let deadline = ContinuousClock.now + .seconds(10)
                    while log.arrivals.withLock({ $0[id] }) == nil, ContinuousClock.now < deadline {
                        try await Task.sleep(for: .microseconds(200))
                    }
                    let arrived = try #require(log.arrivals.withLock { $0[id] }, "edit \(index) never reached device B")
                    latencies.append(arrived - start)
                }
                group.cancelAll()
            }
            let sorted = latencies.sorted()
            print(
                String(
                    format: "client bench: A insert → B table over %d edits: p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                    edits, Self.quantile(sorted, 0.5), Self.quantile(sorted, 0.99), Self.quantile(sorted, 1.0)))
        }
    }

    @Test("initial sync of 100k rows into a fresh device: rows/s applied to SQLite")
    func initialSync() async throws {
        try await CLI.withStack { stack in
            let user = try await ClientResilienceTests.signUp(stack, device: "seed", "bulk@example.com")
            let rows = 100_000
            try await execute(
                stack.database.databaseURL,
                """
                INSERT INTO documents (id, title, content, owner_id, pinned, created_at)
                  SELECT md5(g::text), 'document ' || g, repeat('lorem ipsum ', 20), '\(user)', g % 7 = 0, now()
                  FROM generate_series(1, \(rows)) AS g
                """)
            let replicated = ContinuousClock.now
            try await eventually(timeout: .seconds(600)) {
                try await scalar(
                    stack.database.databaseURL,
                    """
                    SELECT ((SELECT count(*) FROM powersync.bucket_data) >= \(rows)
                      AND (SELECT coalesce(max(last_checkpoint), 0) FROM powersync.replication_streams)
                        >= (SELECT coalesce(max(op_id), 0) FROM powersync.bucket_data))::text
                    """)
            } until: { (value: String?) in
                value == "t" || value == "true"
            }
            print("client bench: replication of \(rows) rows took \(ContinuousClock.now - replicated) (not the client)")
            try await ClientSyncTests.signIn(stack, device: "fresh", "bulk@example.com")
            let client = try Self.device(stack, "fresh")
            let log = ArrivalLog()
            let start = ContinuousClock.now
            let report = try await client.syncOnce { event in
                if case .connected = event { log.connectedAt.withLock { $0 = $0 ?? ContinuousClock.now } }
            }
            let elapsed = ContinuousClock.now - start
            let stored = try client.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM documents") }
            #expect(stored == rows && report.appliedCheckpoint != nil)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let streaming = log.connectedAt.withLock { $0 }.map { ContinuousClock.now - $0 }
            print(
                String(
                    format: "client bench: initial sync of %d rows: %.2f s total (connect+download+store+apply), %.0f rows/s",
                    rows, seconds, Double(rows) / seconds) + " (from stream open: \(streaming.map { "\($0)" } ?? "?"))")
        }
    }
}

/// What the benchmark's event callbacks record.
final class ArrivalLog: Sendable {
    /// When each inserted row id reached device B's table.
    let arrivals = Mutex<[String: ContinuousClock.Instant]>([:])
    /// Streams opened.
    let connected = Mutex(0)
    /// When the first stream opened.
    let connectedAt = Mutex<ContinuousClock.Instant?>(nil)
}
