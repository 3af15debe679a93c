import ArgumentParser
import Foundation
import Logging
import StackConfig

/// Flags every subcommand accepts, anywhere on its command line.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Config file (default: ./stack.yaml, else dev/stack.yaml).")
    var config: String?

    @Flag(name: [.short, .long], help: "Log everything (debug level) to stderr.")
    var verbose = false

    /// Bootstraps logging once and returns the root logger.
    func logger() -> Logger {
        ConsoleLogHandler.bootstrap(level: verbose ? .debug : .notice)
        return Logger(label: "stack")
    }

    /// `stack <words>` as the user can run it again: with `--config` when this command was given one.
    func command(_ words: String) -> String {
        "stack " + words + (config.map { " --config " + Console.shellQuoted($0) } ?? "")
    }

    /// The config file and state directory of the stack to look for: from the whole config when it is valid, else
    /// from its `state_dir` alone with a note (a stack keeps running while its config is being edited).
    func locateStateDirectory() throws -> (file: String, stateDir: String) {
        let loader = ConfigLoader()
        do {
            let config = try loader.load(explicit: config)
            return (config.file, config.stateDir)
        } catch let error as ConfigError {
            guard let located = try? loader.locateStateDirectory(explicit: config) else {
                Console.error(error.description)
                throw ExitCode(1)
            }
            Console.error(
                "note: \(located.file) has errors (stack doctor lists them); using its state_dir \(located.stateDir)")
            return located
        }
    }

    /// Loads the configuration, printing every problem and exiting 1 on failure.
    func loadConfig() throws -> StackConfig {
        do {
            return try ConfigLoader().load(explicit: config)
        } catch let error as ConfigError {
            Console.error(error.description)
            throw ExitCode(1)
        }
    }
}

/// How a command prints what scripts read.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, env
}

/// `-o` of commands that print a report (`seed`): only the formats they print, so `--help` lists only those.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
