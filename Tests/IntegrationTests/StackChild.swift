import Foundation

/// The `stack` binary running as a child process (a device that keeps running: `sync`, `sync --watch`, `shell`),
/// with its stdout and stderr collected as they arrive.
final class StackChild: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    private var outData = Data()
    private var errData = Data()

    /// Starts `stack <arguments>`.
    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: stackBinary)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        out.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.lock.withLock { self?.outData.append(data) }
        }
        err.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.lock.withLock { self?.errData.append(data) }
        }
        try process.run()
    }

    /// Standard output so far.
    var out: String { lock.withLock { String(decoding: outData, as: UTF8.self) } }
    /// Standard error so far.
    var err: String { lock.withLock { String(decoding: errData, as: UTF8.self) } }
    /// Whether it still runs.
    var isRunning: Bool { process.isRunning }

    /// Sends a signal.
    func kill(_ signal: Int32) {
        _ = Foundation.kill(process.processIdentifier, signal)
    }

    /// Waits for the exit off the cooperative pool; returns the exit status (or the signal number if killed).
    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                self.process.waitUntilExit()
                continuation.resume(returning: self.process.terminationStatus)
            }
        }
    }

    /// Waits until `condition` holds for stdout (at most `timeout`); returns whether it did.
    func waitForOutput(timeout: Duration = .seconds(20), _ condition: (String) -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(out) { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition(out)
    }

    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }
}
