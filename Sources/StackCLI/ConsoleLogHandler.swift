import Foundation
import Logging

/// Structured console logs on stderr: `time level label: message key=value …`, quiet (notice) by default.
struct ConsoleLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    let label: String

    private static let bootstrapped = Once()

    /// Installs the handler process-wide (once; later calls only matter for the first).
    static func bootstrap(level: Logger.Level) {
        bootstrapped.run {
            LoggingSystem.bootstrap { label in ConsoleLogHandler(logLevel: level, label: label) }
        }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let time = ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withInternetDateTime])
        var line = "\(time) \(event.level) \(label): \(event.message)"
        for key in merged.keys.sorted() {
            line += " \(key)=\(merged[key]!)"
        }
        Console.write(line + "\n", to: STDERR_FILENO)
    }
}

/// Runs a closure once per process.
final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false

    func run(_ body: () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        guard !done else { return }
        done = true
        body()
    }
}
