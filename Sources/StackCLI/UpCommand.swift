import ArgumentParser
import Foundation
import StackConfig
import StackCore
import StackServer

/// `stack up`: run everything until Ctrl-C (or until `--exec` finishes, or in the background with `--detach`).
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start Postgres (managed or configured), the auth server, upload API and sync service.",
        discussion: HelpText.reflow(
            """
            Prints one summary when everything is ready. With --exec, runs the command with STACK_* variables
            (STACK_AUTH_URL, STACK_JWKS_URL, STACK_UPLOAD_URL, STACK_SYNC_URL, STACK_DATABASE_URL, STACK_CONFIG,
            STACK_PID) once ready, then shuts down and exits with its status. --detach starts it in the background
            instead (not with --exec).
            """))

    @OptionGroup var global: GlobalOptions

    @Option(name: [.short, .customLong("output")], help: "Summary format: text, json or env.")
    var output: OutputFormat = .text

    @Option(name: .long, help: "Run this shell command once ready, then stop and exit with its status.")
    var exec: String?

    @Flag(name: .long, help: "Start in the background; return once ready (stop it with stack down).")
    var detach = false

    func validate() throws {
        if detach && exec != nil {
            throw ValidationError(
                "--detach and --exec cannot be combined: --exec runs its command in the foreground and then stops the stack."
            )
        }
    }

    func run() async throws {
        if detach {
            try await Detacher(global: global, output: output).start()
            return
        }
        let logger = global.logger()
        let config = try global.loadConfig()
        if let running = RunState(stateDir: config.stateDir).read() {
            Console.error(
                "STACK-S006: a stack is already running (pid \(running.pid)) for \(running.configPath). Stop it with "
                    + "\(global.command("down"))."
            )
            throw ExitCode(1)
        }
        let application = StackApplication(config: config, logger: logger)
        let exec = self.exec
        let output = self.output
        let exitStatus = ExitStatusBox()
        do {
            try await application.run { endpoints, _ in
                SummaryPrinter.print(endpoints, format: output, footer: exec == nil)
                guard let exec else { return .keepRunning }
                exitStatus.value = await CommandRunner.run(exec, environment: endpoints.environment)
                return .shutDown
            }
        } catch {
            Console.error("\(error)")
            throw ExitCode(1)
        }
        if exec != nil { throw ExitCode(exitStatus.value) }
    }
}

/// Holds `--exec`'s status across the ready callback.
final class ExitStatusBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Int32 = 0

    var value: Int32 {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
