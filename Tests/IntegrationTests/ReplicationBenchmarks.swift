import Foundation
import PostgresNIO
import StackBench
import StackBuckets
import Testing

/// Throughput measurements (printed, not asserted). Run with
/// `STACK_BENCH=1 swift test -c release --filter ReplicationBenchmarks`; sizes via STACK_BENCH_ROWS (100000) and
/// STACK_BENCH_SNAPSHOT_ROWS (1000000); the lag figure's rate and duration via STACK_BENCH_LAG_RATE (1000) and
/// STACK_BENCH_LAG_SECONDS (10).
@Suite("replication benchmarks", .serialized, .enabled(if: ProcessInfo.processInfo.environment["STACK_BENCH"] != nil))
struct ReplicationBenchmarks {
    let rows = Int(ProcessInfo.processInfo.environment["STACK_BENCH_ROWS"] ?? "") ?? 100_000
    let snapshotRows = Int(ProcessInfo.processInfo.environment["STACK_BENCH_SNAPSHOT_ROWS"] ?? "") ?? 1_000_000

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private func report(_ label: String, _ count: Int, _ duration: Duration) {
        let elapsed = seconds(duration)
        print("BENCH \(label): \(count) rows in \(String(format: "%.2f", elapsed)) s = \(Int(Double(count) / elapsed)) rows/s")
    }

    @Test func streamingAgainstCopy() async throws {
        let harness = try await ReplicationHarness(prefix: "bench")
        let clock = ContinuousClock()
        try await harness.execute(
            "CREATE TABLE plain (id text PRIMARY KEY, owner_id text NOT NULL, title text, content text)")
        var text = ""
        for index in 1...rows { text += "c\(index)\tu\(index % 100)\ttitle \(index)\t\\N\n" }
        let payload = text
        let copyTime = try await clock.measure {
            try await harness.client.withConnection { connection in
                try await connection.copyFrom(table: "plain", columns: ["id", "owner_id", "title", "content"], logger: harness.logger) { writer in
                    try await writer.write(ByteBuffer(string: payload))
                }
            }
        }
        report("COPY into a plain table", rows, copyTime)

        try await harness.execute(
            """
            CREATE PROCEDURE bench_insert(n int, prefix text) LANGUAGE plpgsql AS $$
            BEGIN
              FOR i IN 1..n LOOP
                INSERT INTO documents (id, owner_id, title) VALUES (prefix || i, 'u' || (i % 100), 'title ' || i);
                COMMIT;
              END LOOP;
            END $$
            """)
        harness.start()
        _ = try await harness.waitForCatchUp()

        // Concurrent: the writer commits single-row transactions as fast as it can while replication runs.
        let concurrent = try await clock.measure {
            try await harness.execute("CALL bench_insert(\(rows), 'a')")
            _ = try await harness.waitForCatchUp(timeout: .seconds(600))
        }
        report("single-row transactions, written and replicated concurrently (commit -> durable checkpoint)", rows, concurrent)

        // Catch-up: the transactions wait in the slot, then replication alone is timed.
        try await harness.stop()
        let written = try await clock.measure { try await harness.execute("CALL bench_insert(\(rows), 'b')") }
        report("single-row transactions written (plpgsql COMMIT loop, no replication)", rows, written)
        harness.start()
        let catchUp = try await clock.measure { _ = try await harness.waitForCatchUp(timeout: .seconds(600)) }
        report("single-row transactions replicated from the slot (catch-up)", rows, catchUp)

        try await harness.stop()
        try await harness.execute(
            "INSERT INTO documents (id, owner_id, title) SELECT 'c' || g, 'u' || (g % 100), 'title ' || g FROM generate_series(1, \(rows)) g")
        harness.start()
        let big = try await clock.measure { _ = try await harness.waitForCatchUp(timeout: .seconds(600)) }
        report("one transaction replicated from the slot (catch-up)", rows, big)
        print("BENCH ratio streamed/COPY: single-row catch-up \(String(format: "%.3f", seconds(copyTime) / seconds(catchUp))), one transaction \(String(format: "%.3f", seconds(copyTime) / seconds(big)))")
        try await harness.stop()
    }

    @Test func snapshot() async throws {
        let harness = try await ReplicationHarness(prefix: "benchsnap")
        let clock = ContinuousClock()
        try await harness.execute(
            "INSERT INTO documents (id, owner_id, title) SELECT 'd' || g, 'u' || (g % 1000), 'title ' || g FROM generate_series(1, \(snapshotRows)) g")
        harness.start()
        let elapsed = try await clock.measure { _ = try await harness.waitForCatchUp(timeout: .seconds(1800)) }
        report("initial snapshot to first checkpoint", snapshotRows, elapsed)
        try await harness.stop()
    }

    @Test func lagUnderSteadyLoad() async throws {
        let environment = ProcessInfo.processInfo.environment
        let harness = try await ReplicationHarness(prefix: "benchlag")
        harness.start()
        _ = try await harness.waitForCatchUp()
        var probe = LagProbe(table: "documents", definition: "user_data")
        probe.rate = Int(environment["STACK_BENCH_LAG_RATE"] ?? "") ?? 1000
        probe.seconds = Double(environment["STACK_BENCH_LAG_SECONDS"] ?? "") ?? 10
        probe.storageSchema = harness.config.sync.storageSchema
        let result = try await probe.run(url: harness.database.databaseURL, logger: harness.logger)
        func ms(_ values: [Double], _ p: Double) -> String { String(format: "%.2f", BenchFigure.percentile(values, p)) }
        print(
            "BENCH lag at \(probe.rate) tx/s (achieved \(Int(result.achievedRate))): commit returned to checkpoint "
                + "notified p50 \(ms(result.lags, 0.5)) ms, p99 \(ms(result.lags, 0.99)) ms; baseline commit round "
                + "trip p50 \(ms(result.commits, 0.5)) ms, p99 \(ms(result.commits, 0.99)) ms")
        // Every commit was seen in a checkpoint (a count, not a timing).
        #expect(result.lags.count == result.commits.count && !result.lags.isEmpty)
        try await harness.stop()
    }
}
