import Logging
import PostgresNIO
import StackCore
import StackPostgres

extension StackBenchmark {
    /// Connections the single-row transactions are committed over.
    static let commitWriters = 16

    /// Replication of many small transactions: `rows` single-row transactions (one autocommit `INSERT` each)
    /// committed as fast as `commitWriters` connections can, from the first commit sent to the checkpoint covering
    /// the last row, vs the same commits into an unreplicated table. The writers run with `synchronous_commit = off`
    /// in both, so the figure is the replicator's pace and not the WAL flush of each commit.
    static func singleRowTransactions(
        _ options: BenchOptions, db: PostgresClient, url: DatabaseURL,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> [BenchFigure] {
        var logger = Logger(label: "stack.bench")
        logger.logLevel = .critical
        let rows = options.rows
        var plainRates: [Double] = []
        var replicationRates: [Double] = []
        for round in 1...options.runs {
            let run = String(UInt32.random(in: 0...UInt32.max), radix: 36)
            let user = "tx-\(run)"
            progress(
                "replication: \(rows) single-row transactions into a plain table (baseline), then the synced table, "
                    + "round \(round)/\(options.runs)")
            try await db.query("DROP TABLE IF EXISTS bench_plain", logger: logger)
            try await db.query(
                "CREATE TABLE bench_plain (id text PRIMARY KEY, owner_id text, title text, content text)",
                logger: logger)
            let plainStart = ContinuousClock.now
            try await commitRows(url, table: "bench_plain", prefix: "p-\(run)", owner: user, count: rows)
            plainRates.append(Double(rows) / (ContinuousClock.now - plainStart).seconds)
            let start = ContinuousClock.now
            try await commitRows(url, table: "bench_docs", prefix: "t-\(run)", owner: user, count: rows)
            try await waitForReplication(db, user: user, rows: rows, logger: logger)
            replicationRates.append(Double(rows) / (ContinuousClock.now - start).seconds)
        }
        return [
            BenchFigure(
                "replication_tx_rows_per_s",
                "replication: \(rows) single-row transactions, first commit to checkpoint covering the last",
                replicationRates, unit: "rows/s",
                baseline: "the same commits into an unreplicated table",
                baselineValue: BenchFigure.median(plainRates)),
            BenchFigure(
                "baseline_tx_rows_per_s",
                "baseline: \(rows) single-row transactions into an unreplicated table", plainRates, unit: "rows/s"),
        ]
    }

    /// Commits `count` rows, one transaction each, over `commitWriters` connections of their own.
    private static func commitRows(_ url: DatabaseURL, table: String, prefix: String, owner: String, count: Int)
        async throws
    {
        var quiet = Logger(label: "stack.bench")
        quiet.logLevel = .critical
        let logger = quiet
        let writers = commitWriters
        let content = String(repeating: "0123456789abcdef", count: 12)
        try await PostgresClient.withClient(url, maximumConnections: writers, logger: logger) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        try await client.withConnection { connection in
                            try await connection.query("SET synchronous_commit = off", logger: logger)
                            for index in stride(from: writer, to: count, by: writers) {
                                try await connection.query(
                                    """
                                    INSERT INTO \(unescaped: table) (id, owner_id, title, content)
                                    VALUES (\("\(prefix)-\(index)"), \(owner), 'title', \(content))
                                    """, logger: logger)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}
