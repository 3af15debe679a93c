import Foundation

/// Progress of long work on standard error: one rewritten line on a terminal, a line per 10% otherwise.
///
/// With a `delay`, nothing is printed until the work has run that long, so quick runs stay quiet.
final class ProgressPrinter: @unchecked Sendable {
    private let label: String
    private let enabled: Bool
    private let delay: Duration
    private let terminal = isatty(2) == 1
    private let started = ContinuousClock.now
    private let lock = NSLock()
    private var lastDecile: Int64 = 0
    private var printed = false

    init(label: String, enabled: Bool, delay: Duration = .zero) {
        self.label = label
        self.enabled = enabled
        self.delay = delay
    }

    func update(done: Int64, total: Int64) {
        guard enabled, total > 0, started.duration(to: .now) >= delay else { return }
        lock.withLock {
            let line = Self.line(label: label, done: done, total: total)
            let percent = min(100, done * 100 / total)
            if terminal {
                Console.write("\r" + line, to: STDERR_FILENO)
                printed = true
            } else if percent / 10 > lastDecile {
                lastDecile = percent / 10
                Console.error(line)
            }
        }
    }

    /// Ends the rewritten line, if one was printed.
    func finish() {
        lock.withLock {
            if printed { Console.write("\n", to: STDERR_FILENO) }
            printed = false
        }
    }

    /// `label: 12,345 / 138,529 (8%)`.
    static func line(label: String, done: Int64, total: Int64) -> String {
        let percent = total > 0 ? min(100, done * 100 / total) : 100
        return "\(label): \(done.grouped) / \(total.grouped) (\(percent)%)"
    }
}
