import Foundation
import Logging
import PostgresNIO

extension StackBenchmark {
    /// `kill -9` of the stack at a random point of a write burst, restart, and check that every committed row of the
    /// burst is in its bucket exactly once. Reports passes and the time from restart to caught up.
    static func killLoop(
        _ options: BenchOptions, stack: BenchStack, db: PostgresClient,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> (stack: BenchStack, figures: [BenchFigure]) {
        let logger = Logger(label: "stack.bench")
        var stack = stack
        var passes = 0
        var recoveries: [Double] = []
        for round in 1...options.killLoop {
            let run = String(UInt32.random(in: 0...UInt32.max), radix: 36)
            let user = "kill-\(run)"
            let killAfter = Duration.milliseconds(Int.random(in: 50...1500))
            // Writes go straight to Postgres (which outlives the stack) and go on while the stack is down: what
            // replication must pick up after the restart, exactly once.
            let writeUntil = ContinuousClock.now + killAfter + .milliseconds(300)
            let committed = try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask {
                    var rows = 0
                    while ContinuousClock.now < writeUntil {
                        try await db.query(
                            """
                            INSERT INTO bench_docs SELECT \(user) || '-' || g, \(user), 'kill', 'burst'
                            FROM generate_series(\(rows + 1), \(rows + 10)) g
                            """, logger: logger)
                        rows += 10
                    }
                    return rows
                }
                try await Task.sleep(for: killAfter)
                try await stack.kill()
                return try await group.next() ?? 0
            }
            let restart = ContinuousClock.now
            stack = try stack.restart()
            try await waitForReplication(db, user: user, rows: committed, logger: logger)
            let seconds = (ContinuousClock.now - restart).seconds
            recoveries.append(seconds)
            let (ops, distinct) = try await bucketRows(db, user: user, logger: logger)
            let inTable =
                try await db.query("SELECT count(*)::bigint FROM bench_docs WHERE owner_id = \(user)", logger: logger)
                .collect().first?.decode(Int64.self) ?? -1
            let passed = ops == committed && distinct == committed && inTable == Int64(committed)
            if passed { passes += 1 }
            progress(
                "kill loop \(round)/\(options.killLoop): killed after \(killAfter), \(committed) rows committed, "
                    + "\(ops) ops for \(distinct) rows in the bucket, recovered in "
                    + String(format: "%.2f s", seconds) + (passed ? "" : " — FAILED"))
        }
        return (
            stack,
            [
                BenchFigure(
                    "kill_loop_passes", "kill -9 during a write burst: rounds with every row in its bucket once",
                    [Double(passes)], unit: "of \(options.killLoop) rounds"),
                BenchFigure(
                    "kill_loop_recovery_s", "kill -9 during a write burst: restart until caught up (p50)", recoveries,
                    unit: "s"),
            ]
        )
    }

    /// PUT ops and distinct rows of `user`'s bucket in the served stream.
    static func bucketRows(_ db: PostgresClient, user: String, logger: Logger) async throws -> (Int, Int) {
        guard let (stream, _) = try await servedStream(db, logger: logger) else { return (0, 0) }
        let bucket = "\(stream)#by_user[\"\(user)\"]"
        let rows = try await db.query(
            """
            SELECT count(*)::bigint, count(DISTINCT row_id)::bigint FROM powersync.bucket_data
            WHERE group_id = \(stream) AND bucket_name = \(bucket) AND op = 'PUT'
            """, logger: logger)
        for try await (ops, distinct) in rows.decode((Int64, Int64).self) { return (Int(ops), Int(distinct)) }
        return (0, 0)
    }
}
