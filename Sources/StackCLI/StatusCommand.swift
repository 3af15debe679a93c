import ArgumentParser
import Foundation
import StackServer

/// `stack status`: describes the running stack; exit 1 when none runs.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Describe the running stack (exit 1 if none is running).")

    @OptionGroup var global: GlobalOptions

    @Option(name: [.short, .customLong("output")], help: "Output format: text, json or env.")
    var output: OutputFormat = .text

    func run() async throws {
        let (file, stateDir) = try global.locateStateDirectory()
        guard let endpoints = RunState(stateDir: stateDir).read() else {
            if output == .json {
                Console.out("{\"running\": false}")
            } else {
                Console.error("no stack is running for \(file) (state_dir \(stateDir))")
            }
            throw ExitCode(1)
        }
        SummaryPrinter.print(endpoints, format: output, footer: false, title: "stack is running")
    }
}
