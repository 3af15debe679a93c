import Foundation
import GRDB
import StackClient

extension StackBenchmark {
    /// Two in-process devices of one user, both watching: a row inserted on device A (its local SQLite write) until
    /// device B applied it (upload, replication, write checkpoint, stream, apply in between).
    static func endToEnd(
        _ options: BenchOptions, stack: BenchStack, progress: @escaping @Sendable (String) -> Void
    ) async throws -> [BenchFigure] {
        let devices = try BenchDevices(stack: stack, directory: options.directory + "/devices")
        let user = try await devices.signUp("e2e")
        let a = try devices.device("e2e-a", user: user)
        let b = try devices.device("e2e-b", user: user)
        let log = EditArrivals()
        var p50: [Double] = []
        var p99: [Double] = []
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await a.watch { event in
                    if case .connected = event { log.connected() }
                }
            }
            group.addTask {
                try await b.watch { event in
                    switch event {
                    case .connected:
                        log.connected()
                    case .checkpoint(_, .applied, let changes):
                        log.arrived(changes.rows.filter { $0.operation == .insert }.map(\.id), at: .now)
                    default:
                        break
                    }
                }
            }
            try await log.waitConnected(2, timeout: .seconds(60))
            try await Task.sleep(for: .milliseconds(500))
            for round in 1...options.runs {
                progress("end-to-end: \(options.edits) edits device A → device B, round \(round)/\(options.runs)")
                var latencies: [Double] = []
                for index in 0..<options.edits {
                    let id = UUID().uuidString.lowercased()
                    let start = ContinuousClock.now
                    try a.database.write { db in
                        try db.execute(
                            sql: "INSERT INTO bench_docs (id, title, content) VALUES (?, ?, ?)",
                            arguments: [id, "edit \(index)", "latency probe"])
                    }
                    let arrived = try await log.wait(for: id, timeout: .seconds(20))
                    latencies.append((arrived - start).seconds * 1000)
                }
                p50.append(BenchFigure.percentile(latencies, 0.5))
                p99.append(BenchFigure.percentile(latencies, 0.99))
            }
            group.cancelAll()
        }
        return [
            BenchFigure("e2e_p50_ms", "end-to-end: insert on device A until applied on device B, p50", p50, unit: "ms"),
            BenchFigure("e2e_p99_ms", "end-to-end: insert on device A until applied on device B, p99", p99, unit: "ms"),
        ]
    }
}

/// When each row id reached device B, and how many streams are open; shared by the watch callbacks.
final class EditArrivals: @unchecked Sendable {
    private let lock = NSLock()
    private var arrivals: [String: ContinuousClock.Instant] = [:]
    private var streams = 0

    func connected() { lock.withLock { streams += 1 } }

    func arrived(_ ids: [String], at: ContinuousClock.Instant) {
        lock.withLock {
            for id in ids where arrivals[id] == nil { arrivals[id] = at }
        }
    }

    func waitConnected(_ count: Int, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while lock.withLock({ streams }) < count {
            guard ContinuousClock.now < deadline else { throw BenchError("the devices did not connect in \(timeout)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func wait(for id: String, timeout: Duration) async throws -> ContinuousClock.Instant {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let at = lock.withLock({ arrivals[id] }) { return at }
            guard ContinuousClock.now < deadline else { throw BenchError("edit \(id) never reached device B") }
            try await Task.sleep(for: .microseconds(200))
        }
    }
}
