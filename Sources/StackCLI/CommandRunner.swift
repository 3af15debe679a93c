import Foundation

/// Runs `--exec` commands through the shell with extra environment variables.
enum CommandRunner {
    /// Runs `command` with `/bin/sh -c`, inheriting stdio; returns its exit status (128+signal if killed).
    static func run(_ command: String, environment: [(String, String)]) async -> Int32 {
        await withCheckedContinuation { continuation in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", command]
            var env = ProcessInfo.processInfo.environment
            for (name, value) in environment { env[name] = value }
            process.environment = env
            process.terminationHandler = { finished in
                let status =
                    finished.terminationReason == .uncaughtSignal
                    ? 128 + finished.terminationStatus : finished.terminationStatus
                continuation.resume(returning: status)
            }
            do {
                try process.run()
            } catch {
                Console.error("cannot run --exec command: \(error)")
                continuation.resume(returning: 127)
            }
        }
    }
}
