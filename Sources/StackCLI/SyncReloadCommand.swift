import ArgumentParser
import Foundation
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

                Invalid rules change nothing and exit 1. Unchanged rules are a no-op (exit 0). Reloading while a
                build is in progress abandons it (or, for the served rules, just stops it). Only sync_rules are
                reloaded: other settings take effect at the next stack up. Each step is also written to
                <state_dir>/run/reload.json.

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
            let previous = ReloadStatus.read(stateDir: config.stateDir)
            let after = previous?.pid == running.pid ? previous?.reload ?? 0 : 0
            guard kill(running.pid, SIGHUP) == 0 else {
                try finish(state: "not_running", "STACK-R105: cannot signal stack (pid \(running.pid)): errno \(errno)")
            }
            try await follow(pid: running.pid, stateDir: config.stateDir, after: after)
        }

        /// Prints each new step of reload number `after + 1` (or later) until it is done.
        private func follow(pid: Int32, stateDir: String, after: Int) async throws {
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
                    if status.done || (noWait && status.state == .building) { try conclude(status) }
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

        /// Ends with the stack's own verdict.
        private func conclude(_ status: ReloadStatus) throws -> Never {
            let success: Set<ReloadStatus.State> = [.unchanged, .reverted, .swapped, .building]
            if json {
                Console.json(status)
            } else {
                for problem in status.problems { Console.error(problem.formatted) }
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
