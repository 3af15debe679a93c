import Logging
import StackPostgres

extension StackBenchmark {
    /// Replication lag under a steady load: single-row commits paced at `--lag-rate` per second for
    /// `--lag-seconds`, each timed from commit returned to the checkpoint notification covering it.
    static func lag(
        _ options: BenchOptions, url: DatabaseURL, progress: @escaping @Sendable (String) -> Void
    ) async throws -> [BenchFigure] {
        var logger = Logger(label: "stack.bench")
        logger.logLevel = .critical
        var p50: [Double] = []
        var p99: [Double] = []
        var rates: [Double] = []
        var commitP50: [Double] = []
        var commitP99: [Double] = []
        let rate = options.lagRate
        for round in 1...options.runs {
            progress(
                "lag: single-row commits paced at \(rate)/s for \(options.lagSeconds) s, commit to checkpoint, "
                    + "round \(round)/\(options.runs)")
            var probe = LagProbe(table: "bench_docs", definition: "by_user")
            probe.rate = rate
            probe.seconds = Double(options.lagSeconds)
            let result = try await probe.run(url: url, logger: logger)
            guard !result.lags.isEmpty else { throw BenchError("the lag probe timed no commit") }
            p50.append(BenchFigure.percentile(result.lags, 0.5))
            p99.append(BenchFigure.percentile(result.lags, 0.99))
            rates.append(result.achievedRate)
            commitP50.append(BenchFigure.percentile(result.commits, 0.5))
            commitP99.append(BenchFigure.percentile(result.commits, 0.99))
        }
        return [
            BenchFigure(
                "lag_p50_ms", "lag at \(rate) tx/s: commit returned to checkpoint notified, p50", p50, unit: "ms",
                baseline: "its own COMMIT round trip, p50", baselineValue: BenchFigure.median(commitP50)),
            BenchFigure(
                "lag_p99_ms", "lag at \(rate) tx/s: commit returned to checkpoint notified, p99", p99, unit: "ms",
                baseline: "its own COMMIT round trip, p99", baselineValue: BenchFigure.median(commitP99)),
            BenchFigure("lag_rate_tx_per_s", "lag: commits per second achieved (target \(rate))", rates, unit: "tx/s"),
            BenchFigure(
                "baseline_commit_p50_ms", "baseline: COMMIT of a single-row transaction, p50", commitP50, unit: "ms"),
            BenchFigure(
                "baseline_commit_p99_ms", "baseline: COMMIT of a single-row transaction, p99", commitP99, unit: "ms"),
        ]
    }
}
