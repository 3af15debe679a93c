import ArgumentParser
import Foundation
import StackConfig
import StackPostgres
import StackServer

/// `stack up --detach`: starts `stack up` in its own session, logging to the state directory, and waits for ready.
struct Detacher {
    let global: GlobalOptions
    let output: OutputFormat

    func start() async throws {
        let config = try global.loadConfig()
        let runState = RunState(stateDir: config.stateDir)
        if let running = runState.read() {
            Console.error(
                "STACK-S006: a stack is already running (pid \(running.pid)). Stop it with \(global.command("down")).")
            throw ExitCode(1)
        }
        let logDir = config.stateDir + "/logs"
        try FileManager.default.createDirectory(atPath: logDir, withIntermediateDirectories: true)
        let logPath = logDir + "/stack.log"
        try Self.rotate(logPath)
        var arguments = [executablePath(), "up", "--config", config.file]
        if global.verbose { arguments.append("--verbose") }
        let pid = try ProcessRunner.spawnDetached(arguments, logFile: logPath)
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if let endpoints = runState.read() {
                SummaryPrinter.print(endpoints, format: output, footer: false, title: "stack is up in the background")
                if output == .text { Console.out("Logs: \(logPath)\nStop it with: \(global.command("down"))") }
                return
            }
            if !ProcessRunner.isRunning(pid) {
                let tail = (try? String(contentsOfFile: logPath, encoding: .utf8))?.split(separator: "\n").suffix(15)
                Console.error("stack up exited before it was ready. Last lines of \(logPath):")
                Console.error(tail?.joined(separator: "\n") ?? "")
                throw ExitCode(1)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Console.error("stack up did not become ready within 120 s; see \(logPath)")
        throw ExitCode(1)
    }

    /// Moves the previous run's log to `stack.log.1` (replacing an older one), so this run's log holds only its own
    /// lines: the excerpt printed when it fails must not show the last run's "stack is up".
    static func rotate(_ logPath: String) throws {
        let fm = FileManager.default
        guard fm.fileExists(atPath: logPath) else { return }
        let previous = logPath + ".1"
        if fm.fileExists(atPath: previous) { try fm.removeItem(atPath: previous) }
        try fm.moveItem(atPath: logPath, toPath: previous)
    }

    private func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
