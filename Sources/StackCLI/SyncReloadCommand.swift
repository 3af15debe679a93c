import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import StackConfig
import StackDoctor
import StackPostgres
import StackServer

extension SyncCommand {
    /// `stack sync reload`: asks the running stack to re-read its sync rules and follows the change to its end.
    struct Reload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply changed sync rules to the running stack: build the new stream, swap it in when caught up.",
            discussion: HelpText.reflow(
                """
                Checks the sync rules of the running stack's config file (the same compiler as stack up: every
                error with file:line:column), then sends SIGHUP to the stack (`kill -HUP <pid>` does the same).
                The stack re-reads the file; if the rules changed it builds a new replication stream (new slot,
                snapshot, catch-up) in the background while the old stream keeps serving clients, makes it serve
                in one transaction once it has caught up, then drops the old stream's slot and bucket data.
                Connected clients reconnect and download the new buckets. This command prints each step and
                waits until the old stream is dropped.

                Invalid rules change nothing and exit 1; warnings (an unknown column, as stack sync-rules check
                shows them) are printed and do not stop the reload. Rules that use a table or column which the
                config's schema has but Postgres has not yet are refused (STACK-R110): stack up creates them, a
                reload does not. Unchanged rules are a no-op (exit 0). Reloading while a build is in progress
                abandons it (or, for the served rules, just stops it). Only sync_rules are reloaded: other settings
                take effect at the next stack up, and the command names the sections that changed since then. Each
                step is also written to <state_dir>/run/reload.json.

                Exit status: 0 swapped, unchanged or reverted (or building, with --no-wait); 1 invalid or refused
                rules, no running stack, a later reload took over, or --timeout passed.
                """))

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Print one JSON object (the final status, as in run/reload.json) instead of text.")
        var json = false

        @Flag(name: .customLong("no-wait"), help: "Return once the new stream is building; do not wait for the swap.")
        var noWait = false

        @Option(help: "Seconds to wait for the swap (snapshot and catch-up of the new stream).")
        var timeout = 3600

        func validate() throws {
            guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        }

        func run() async throws {
            let config = try global.loadConfig()
            guard let running = RunState(stateDir: config.stateDir).read() else {
                try finish(
                    state: "not_running",
                    "STACK-R105: no stack is running for \(config.file); start it with stack up (it builds a stream "
                        + "for changed rules at start)")
            }
            // The stack re-reads its own config file: check that one, so invalid rules never reach it.
            switch ReloadableRules.load(configFile: running.configPath) {
            case .invalid(let problems):
                try finish(
                    state: "invalid", problems: problems,
                    "STACK-R102: the sync rules in \(running.configPath) are invalid; the running stream is unchanged")
            case .removed:
                try finish(
                    state: "refused",
                    "STACK-R108: \(running.configPath) has no sync_rules; stopping replication needs a restart "
                        + "(stack down; stack up)")
            case .rules:
                break
            }
            if let loaded = try? ConfigLoader().load(explicit: running.configPath) {
                // What stack sync-rules check and stack doctor call warnings (an unknown column, say) are accepted
                // here as by stack up, but shown.
                if let validation = SyncRulesValidation(config: loaded) {
                    for warning in validation.warnings { Console.error(warning.formatted(file: validation.file)) }
                }
                let missing = await Self.missingInPostgres(loaded, databaseURL: running.databaseURL)
                if !missing.isEmpty {
                    try finish(
                        state: "refused",
                        "STACK-R110: the sync rules use " + missing.joined(separator: ", ")
                            + ", which the schema in \(running.configPath) has but Postgres does not have yet: tables "
                            + "and columns are created by stack up, not by a reload. Run stack down && stack up to "
                            + "create them and start with these rules; the running stream is unchanged")
                }
            }
            let restart = RunState(stateDir: config.stateDir).changedSettings(configFile: running.configPath)
            let previous = ReloadStatus.read(stateDir: config.stateDir)
            let after = previous?.pid == running.pid ? previous?.reload ?? 0 : 0
            guard kill(running.pid, SIGHUP) == 0 else {
                try finish(state: "not_running", "STACK-R105: cannot signal stack (pid \(running.pid)): errno \(errno)")
            }
            try await follow(pid: running.pid, stateDir: config.stateDir, after: after, restart: restart)
        }

        /// Tables and columns the rules use that the config's schema has and Postgres has not (yet): a reload would
        /// serve rules whose table never replicates until a restart creates it. Empty when all exist, or when the
        /// database cannot be read (the stack then reports its own errors).
        private static func missingInPostgres(_ config: StackConfig, databaseURL: String) async -> [String] {
            guard let document = config.syncRules, let url = try? DatabaseURL(parsing: databaseURL) else { return [] }
            let logger = Logger(label: "stack.reload", factory: { _ in SwiftLogNoOpLogHandler() })
            let names = config.schema.syncedTables.map(\.name)
            let read: @Sendable (PostgresClient) async throws -> LiveSchema = { client in
                try await LiveSchema.read(tables: names, client: client, logger: logger)
            }
            guard let live = try? await PostgresClient.withClient(url, logger: logger, read) else { return [] }
            let liveMap = live.tables.mapValues { $0.columns.map(\.name) }
            let configured = Set(
                SyncRulesValidation(document: document, schema: SyncRulesValidation.schemaMap(config.schema)).issues)
            // Problems against Postgres that the config's own schema does not have: things stack up would create.
            return SyncRulesValidation(document: document, schema: liveMap).issues
                .filter { $0.code == .schema && !configured.contains($0) }
                .map { issue in
                    issue.message.replacingOccurrences(of: " not found", with: "")
                        .replacingOccurrences(of: "Column not found: ", with: "column ")
                        .replacingOccurrences(of: "Table ", with: "table ")
                        + (issue.line.map { " (\(document.file):\($0))" } ?? "")
                }
        }

        /// Prints each new step of reload number `after + 1` (or later) until it is done.
        private func follow(pid: Int32, stateDir: String, after: Int, restart: [String]) async throws {
            let deadline = ContinuousClock.now + .seconds(timeout)
            let answerDeadline = ContinuousClock.now + .seconds(30)
            var shown: ReloadStatus?
            while true {
                if let status = ReloadStatus.read(stateDir: stateDir), status.pid == pid, status.reload > after,
                    status != shown
                {
                    if let shown, status.reload != shown.reload {
                        try finish(
                            state: "abandoned", status: shown,
                            "STACK-R109: another reload (\(status.reload)) took over; run stack sync reload again to "
                                + "follow it")
                    }
                    if !json, status.state != shown?.state || status.done != shown?.done {
                        Console.out(status.message)
                    }
                    shown = status
                    if status.done || (noWait && status.state == .building) { try conclude(status, restart: restart) }
                }
                if kill(pid, 0) != 0 && errno == ESRCH {
                    try finish(
                        state: "not_running", status: shown,
                        "STACK-R109: the stack (pid \(pid)) exited during the reload; see its log")
                }
                if shown == nil && ContinuousClock.now > answerDeadline {
                    try finish(
                        state: "no_answer",
                        "STACK-R109: the stack (pid \(pid)) did not answer SIGHUP within 30 s (a version without "
                            + "reload?); see its log")
                }
                if ContinuousClock.now > deadline {
                    try finish(
                        state: "timeout", status: shown,
                        "STACK-R109: not swapped within \(timeout) s; the build goes on in the stack (stack sync "
                            + "reload again follows it)")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }

        /// Ends with the stack's own verdict, and says which other settings wait for a restart.
        private func conclude(_ status: ReloadStatus, restart: [String]) throws -> Never {
            let success: Set<ReloadStatus.State> = [.unchanged, .reverted, .swapped, .building]
            if json {
                Console.json(status)
            } else {
                for problem in status.problems { Console.error(problem.formatted) }
            }
            if !restart.isEmpty {
                Console.error(
                    "note: \(restart.joined(separator: ", ")) changed in \(status.config) since stack up; a reload "
                        + "applies only sync_rules, so the other changes take effect after stack down && stack up")
            }
            throw ExitCode(success.contains(status.state) ? 0 : 1)
        }

        /// Ends with a failure found on this side (no stack, invalid rules, timeout).
        private func finish(
            state: String, problems: [ReloadStatus.Problem] = [], status: ReloadStatus? = nil, _ message: String
        ) throws -> Never {
            if json {
                Console.json(ReloadFailure(state: state, message: message, problems: problems, last: status))
            } else {
                for problem in problems { Console.error(problem.formatted) }
                Console.error(message)
            }
            throw ExitCode(1)
        }
    }
}

/// `--json` output when the reload failed before or while the stack answered.
struct ReloadFailure: Encodable {
    /// `not_running`, `invalid`, `refused`, `abandoned`, `no_answer` or `timeout`.
    var state: String
    /// Always true: nothing more will happen.
    var done = true
    /// What is wrong, with its code.
    var message: String
    /// Problems with their positions (`invalid`).
    var problems: [ReloadStatus.Problem]
    /// The stack's last status for this reload, if any.
    var last: ReloadStatus?
}
