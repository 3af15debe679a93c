import Foundation
import Logging
import PostgresNIO
import StackCore
import StackPostgres

/// Replication lag under a steady write rate: single-row transactions committed at a fixed pace (not as fast as
/// possible), each timed from its commit returning to the first `stack_checkpoints` notification whose checkpoint
/// covers the row's op. Used by `stack bench` and the in-process `ReplicationBenchmarks`.
public struct LagProbe: Sendable {
    /// Commits per second the writer aims at.
    public var rate = 1000
    /// How long the writer runs.
    public var seconds = 10.0
    /// Connections the paced commits are spread over (a slow commit does not delay the next one).
    public var writers = 16
    /// A synced table with text columns `id`, `owner_id`, `title`.
    public var table: String
    /// The bucket definition that puts a row into `<definition>["<owner_id>"]`.
    public var definition: String
    /// Schema of the bucket storage.
    public var storageSchema = "powersync"
    /// The channel bucket storage notifies checkpoints on.
    public var channel = "stack_checkpoints"

    /// Creates a probe for a table and its per-owner bucket definition.
    public init(table: String, definition: String) {
        self.table = table
        self.definition = definition
    }

    /// What one run measured.
    public struct Result: Sendable {
        /// Commit returned → checkpoint notification received, in milliseconds, one per commit.
        public var lags: [Double]
        /// Commit round trips (COMMIT sent → returned, the WAL flush included), in milliseconds: the baseline.
        public var commits: [Double]
        /// Commits per second actually achieved.
        public var achievedRate: Double
    }

    /// Runs the probe on its own connections to `url` (`writers` + the listener), so it neither waits for nor
    /// takes connections of anyone else's pool.
    public func run(url: DatabaseURL, logger: Logger) async throws -> Result {
        try await PostgresClient.withClient(url, maximumConnections: writers + 2, logger: logger) { client in
            try await run(client: client, logger: logger)
        }
    }

    /// Runs the writer for `seconds`, waits until every row's checkpoint arrived, and returns the timings.
    private func run(client: PostgresClient, logger: Logger) async throws -> Result {
        let total = max(1, Int((Double(rate) * seconds).rounded()))
        let owner = "lag-" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let stream = try await activeStream(client, logger: logger)
        let board = LagBoard(total: total)
        return try await client.withConnection { listener in
            try await listener.listen(on: channel) { notifications in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await notification in notifications {
                            board.notified(notification.payload, at: .now)
                        }
                    }
                    try await write(total: total, owner: owner, board: board, client: client, logger: logger)
                    let ops = try await opIDs(client, stream: stream, owner: owner, count: total, logger: logger)
                    try await board.waitCovered(stream: stream, op: ops.values.max() ?? 0, timeout: .seconds(60))
                    group.cancelAll()
                    return board.result(ops: ops, stream: stream, owner: owner)
                }
            }
        }
    }

    // Open-loop pacing: commit n is due at start + n/rate whatever earlier commits took, so a slow commit shows up
    // as lag instead of lowering the rate the replicator sees. An explicit COMMIT: over the extended protocol an
    // autocommit INSERT reports completion before its implicit transaction commits, a COMMIT only after.
    private func write(total: Int, owner: String, board: LagBoard, client: PostgresClient, logger: Logger)
        async throws
    {
        let start = ContinuousClock.now + .milliseconds(50)
        let interval = Duration.seconds(1) / rate
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<writers {
                group.addTask { [table] in
                    while let slot = board.nextSlot() {
                        try await Task.sleep(until: start + interval * slot, clock: .continuous)
                        let id = "\(owner)-\(slot)"
                        try await client.withConnection { connection in
                            try await connection.query("BEGIN", logger: logger)
                            try await connection.query(
                                "INSERT INTO \(unescaped: table) (id, owner_id, title) VALUES (\(id), \(owner), 'lag')",
                                logger: logger)
                            let sent = ContinuousClock.now
                            try await connection.query("COMMIT", logger: logger)
                            board.committed(slot, sent: sent, returned: .now)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    private func activeStream(_ client: PostgresClient, logger: Logger) async throws -> Int {
        let rows = try await client.query(
            """
            SELECT id FROM \(unescaped: storageSchema).replication_streams WHERE state = 'ACTIVE'
            ORDER BY id DESC LIMIT 1
            """, logger: logger)
        for try await id in rows.decode(Int.self) { return id }
        throw BenchError("no ACTIVE replication stream: the lag probe needs a stack that has replicated")
    }

    /// Each row's op id in its bucket, once all `count` rows are replicated.
    private func opIDs(_ client: PostgresClient, stream: Int, owner: String, count: Int, logger: Logger)
        async throws -> [String: Int64]
    {
        let bucket = "\(stream)#\(definition)[\"\(owner)\"]"
        let deadline = ContinuousClock.now + .seconds(120)
        while true {
            let rows = try await client.query(
                """
                SELECT row_id, max(op_id) FROM \(unescaped: storageSchema).bucket_data
                WHERE group_id = \(stream) AND bucket_name = \(bucket) AND op = 'PUT' GROUP BY row_id
                """, logger: logger)
            var ops: [String: Int64] = [:]
            for try await (id, op) in rows.decode((String, Int64).self) { ops[id] = op }
            if ops.count >= count { return ops }
            guard ContinuousClock.now < deadline else {
                throw BenchError("only \(ops.count) of \(count) lag-probe rows were replicated within 120 s")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// The probe's shared record: slots handed out, commit times, checkpoint notifications as they arrived.
final class LagBoard: @unchecked Sendable {
    private struct Notified: Decodable {
        var stream: Int
        var checkpoint: String
    }

    private let lock = NSLock()
    private let total: Int
    private var next = 0
    private var sent: [ContinuousClock.Instant?]
    private var returned: [ContinuousClock.Instant?]
    private var notifications: [(stream: Int, op: Int64, at: ContinuousClock.Instant)] = []

    init(total: Int) {
        self.total = total
        sent = Array(repeating: nil, count: total)
        returned = Array(repeating: nil, count: total)
    }

    /// The next commit to make (its slot in the schedule), nil once all are handed out.
    func nextSlot() -> Int? {
        lock.withLock {
            guard next < total else { return nil }
            next += 1
            return next - 1
        }
    }

    /// Records when a COMMIT was sent and when it returned.
    func committed(_ slot: Int, sent: ContinuousClock.Instant, returned: ContinuousClock.Instant) {
        lock.withLock {
            self.sent[slot] = sent
            self.returned[slot] = returned
        }
    }

    /// Records a `stack_checkpoints` notification (payload `{"stream", "checkpoint", …}`) as it arrived.
    func notified(_ payload: String, at: ContinuousClock.Instant) {
        guard let note = try? JSONDecoder().decode(Notified.self, from: Data(payload.utf8)),
            let op = Int64(note.checkpoint)
        else { return }
        lock.withLock { notifications.append((note.stream, op, at)) }
    }

    /// Waits until a notification of `stream` covers `op`.
    func waitCovered(stream: Int, op: Int64, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while !lock.withLock({ notifications.contains { $0.stream == stream && $0.op >= op } }) {
            guard ContinuousClock.now < deadline else {
                throw BenchError("no checkpoint notification covered op \(op) within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Lags and commit times; a commit whose checkpoint was notified before its commit returned counts as 0.
    func result(ops: [String: Int64], stream: Int, owner: String) -> LagProbe.Result {
        lock.withLock {
            let arrivals = notifications.filter { $0.stream == stream }
            var lags: [Double] = []
            var commits: [Double] = []
            for slot in 0..<total {
                guard let sent = sent[slot], let returned = returned[slot] else { continue }
                commits.append((returned - sent).milliseconds)
                guard let op = ops["\(owner)-\(slot)"] else { continue }
                // A stream's checkpoints only grow: the first arrival at or past the op is a binary search away.
                var (low, high) = (0, arrivals.count)
                while low < high {
                    let middle = (low + high) / 2
                    if arrivals[middle].op >= op { high = middle } else { low = middle + 1 }
                }
                guard low < arrivals.count else { continue }
                lags.append(max(0, (arrivals[low].at - returned).milliseconds))
            }
            let first = sent.compactMap { $0 }.min()
            let last = returned.compactMap { $0 }.max()
            let span = first.flatMap { first in last.map { ($0 - first).seconds } } ?? 0
            return LagProbe.Result(
                lags: lags, commits: commits, achievedRate: span > 0 ? Double(commits.count) / span : 0)
        }
    }
}
