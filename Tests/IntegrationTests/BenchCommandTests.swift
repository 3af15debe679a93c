import Foundation
import Testing

/// `stack bench --quick`: the whole bench end to end against its own managed Postgres, as a user runs it.
@Suite("stack bench", .serialized)
struct BenchCommandTests {
    /// Every figure the JSON output must carry.
    static let figureIDs: Set<String> = [
        "startup_s", "idle_rss_mib", "streams_rss_mib", "streams_cpu_percent",
        "snapshot_rows_per_s", "baseline_copy_table_rows_per_s",
        "client_apply_rows_per_s", "client_replay_rows_per_s", "baseline_sqlite_insert_rows_per_s",
        "replication_rows_per_s", "baseline_insert_rows_per_s",
        "replication_tx_rows_per_s", "baseline_tx_rows_per_s",
        "initial_sync_ops_per_s", "initial_sync_mb_per_s", "baseline_copy_rows_per_s",
        "upload_rows_per_s", "baseline_multirow_insert_rows_per_s",
        "e2e_p50_ms", "e2e_p99_ms", "fanout_p50_ms", "fanout_p99_ms", "rss_after_mib",
        "kill_loop_passes", "kill_loop_recovery_s",
        "lag_p50_ms", "lag_p99_ms", "lag_rate_tx_per_s", "baseline_commit_p50_ms", "baseline_commit_p99_ms",
    ]

    /// Figures compared with a same-run baseline.
    static let ratioIDs: Set<String> = [
        "snapshot_rows_per_s", "client_apply_rows_per_s", "client_replay_rows_per_s", "replication_rows_per_s",
        "replication_tx_rows_per_s", "initial_sync_ops_per_s", "upload_rows_per_s", "lag_p50_ms", "lag_p99_ms",
    ]

    @Test("--quick --json --kill-loop 1 runs every figure and prints valid JSON with each one, spread and ratio")
    func quickRunEmitsEveryFigure() async throws {
        let (path, stateDir) = try managedConfig()
        defer {
            _ = try? runStackBlocking(["down", "--config", stateDir + "/bench/stack.yaml"], timeout: 60)
            try? FileManager.default.removeItem(atPath: stateDir)
        }
        let result = try await runStack(
            ["bench", "--quick", "--json", "--kill-loop", "1", "--config", path], timeout: 240)
        try #require(result.status == 0, "stack bench failed: \(result.err.suffix(3000))")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any], "not JSON: \(result.out)")
        #expect((report["machine"] as? String)?.isEmpty == false)
        let options = try #require(report["options"] as? [String: Any])
        #expect(options["runs"] as? Int == 2 && options["killLoop"] as? Int == 1, "\(options)")
        let figures = try #require(report["figures"] as? [[String: Any]])
        let byID = Dictionary(
            figures.compactMap { f in (f["id"] as? String).map { ($0, f) } }, uniquingKeysWith: { a, _ in a })
        #expect(Self.figureIDs.subtracting(byID.keys).isEmpty, "missing: \(Self.figureIDs.subtracting(byID.keys))")
        for (id, figure) in byID {
            let value = try #require((figure["value"] as? NSNumber)?.doubleValue, "\(id) has no value")
            let low = try #require((figure["min"] as? NSNumber)?.doubleValue)
            let high = try #require((figure["max"] as? NSNumber)?.doubleValue)
            let samples = try #require(figure["samples"] as? Int)
            #expect(value.isFinite && low <= value && value <= high, "\(id): \(low) ≤ \(value) ≤ \(high)")
            #expect(samples >= 1, "\(id)")
            if id != "kill_loop_passes" && id != "streams_cpu_percent" { #expect(value > 0, "\(id) is \(value)") }
        }
        for id in Self.ratioIDs {
            let ratio = (byID[id]?["ratio"] as? NSNumber)?.doubleValue
            #expect(ratio.map { $0 > 0 && $0.isFinite } == true, "\(id) ratio \(String(describing: ratio))")
        }
        // Spread over --runs: the repeated figures carry one sample per run.
        for id in [
            "startup_s", "upload_rows_per_s", "snapshot_rows_per_s", "client_apply_rows_per_s",
            "client_replay_rows_per_s", "e2e_p99_ms",
            "lag_p99_ms", "lag_rate_tx_per_s", "replication_tx_rows_per_s",
        ] {
            #expect(byID[id]?["samples"] as? Int == 2, "\(id)")
        }
        #expect(
            (byID["kill_loop_passes"]?["value"] as? NSNumber)?.doubleValue == 1, "kill loop: \(result.err.suffix(2000))"
        )
    }
}
