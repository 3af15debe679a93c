import Foundation
import Logging
import ServiceLifecycle
import StackConfig
import StackCore
import StackReplication
import Synchronization
import UnixSignals

/// The server side of `stack sync reload`: on SIGHUP re-reads the config file's sync rules and hands them to
/// replication, which builds a stream for changed rules while the old one serves and swaps it in once caught up.
/// Every step is logged and written to `<state_dir>/run/reload.json` (`ReloadStatus`).
final class SyncRulesReloader: Service, Sendable {
    let configFile: String
    let stateDir: String
    /// Nil when `stack up` started without sync rules (nothing replicates).
    let control: ReplicationControl?
    let logger: Logger
    /// The number of the newest reload; only it writes the status file.
    private let latest = Mutex(0)

    init(configFile: String, stateDir: String, control: ReplicationControl?, logger: Logger) {
        self.configFile = configFile
        self.stateDir = stateDir
        self.control = control
        self.logger = logger
    }

    func run() async throws {
        // SIGHUP is the daemon convention for "re-read your config" (nginx, Postgres, systemd's ExecReload).
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for await _ in signals {
                    let number = self.latest.withLock { value in
                        value += 1
                        return value
                    }
                    group.addTask { await self.reload(number) }
                }
                group.cancelAll()
            }
        }
    }

    /// Loads the rules of the config file and follows the change to its end.
    func reload(_ number: Int) async {
        let started = ContinuousClock.now
        var status = ReloadStatus(
            pid: getpid(), reload: number, state: .building, done: false, config: configFile, stream: nil, slot: nil,
            replaced: nil, dropped: nil, message: "reading \(configFile)", problems: [],
            startedAt: ISO8601DateFormatter().string(from: Date()), seconds: 0)
        logger.notice("SIGHUP: reloading the sync rules", metadata: ["config.file": "\(configFile)"])
        switch ReloadableRules.load(configFile: configFile) {
        case .invalid(let problems):
            status.state = .invalid
            status.done = true
            status.problems = problems
            status.message =
                "the sync rules in \(configFile) are invalid (\(problems.count) problem(s)); "
                + "the running stream is unchanged"
            logger.error(
                "sync rules reload refused: invalid rules; the running stream is unchanged",
                metadata: ["sync.problems": "\(problems.map(\.formatted).joined(separator: "\n"))"])
        case .removed:
            refuse(
                &status,
                "\(configFile) has no sync_rules any more; stopping replication needs a restart (stack down; stack up)")
        case .rules(let rules):
            guard let control else {
                refuse(
                    &status,
                    "stack up started without sync_rules, so nothing replicates yet; restart it (stack down; "
                        + "stack up) to start replication")
                break
            }
            for await change in control.reload(rules) {
                apply(change, to: &status)
                status.seconds = (ContinuousClock.now - started).seconds
                logger.notice(
                    "sync rules reload",
                    metadata: ["sync.reload": "\(number)", "sync.reload.step": "\(status.message)"])
                publish(status)
            }
            return
        }
        status.seconds = (ContinuousClock.now - started).seconds
        publish(status)
    }

    private func refuse(_ status: inout ReloadStatus, _ message: String) {
        status.state = .refused
        status.done = true
        status.message = message
        logger.error("sync rules reload refused", metadata: ["sync.reload.reason": "\(message)"])
    }

    private func publish(_ status: ReloadStatus) {
        latest.withLock { newest in
            guard newest == status.reload else { return }
            do {
                try status.write(stateDir: stateDir)
            } catch {
                logger.warning("cannot write the reload status", metadata: ["error": "\(error)"])
            }
        }
    }

    private func apply(_ change: RulesChange, to status: inout ReloadStatus) {
        switch change {
        case .unchanged(let stream):
            (status.state, status.done, status.stream) = (.unchanged, true, stream)
            status.message = "sync rules unchanged: stream \(stream) already serves them; nothing to do"
        case .building(let stream, let slot, let serving):
            (status.state, status.stream, status.slot, status.replaced) = (.building, stream, slot, serving)
            status.message =
                "building stream \(stream) (slot \(slot)) for the new rules"
                + (serving.map { " while stream \($0) keeps serving" } ?? "")
        case .reverted(let stream, let abandoned):
            (status.state, status.done, status.stream, status.replaced) = (.reverted, true, stream, abandoned)
            status.message = "the rules are those stream \(stream) serves: abandoned the build of stream \(abandoned)"
        case .abandoned(let stream):
            (status.state, status.done) = (.abandoned, true)
            status.message = "a later reload replaced these rules before stream \(stream) caught up; it is dropped"
        case .swapped(let stream, let replaced):
            (status.state, status.done, status.stream, status.replaced) = (.swapped, replaced == nil, stream, replaced)
            status.dropped = replaced == nil ? nil : false
            status.message =
                "stream \(stream) caught up and serves the new rules"
                + (replaced.map { "; dropping stream \($0) (slot and bucket data)" } ?? "")
        case .dropped(let stream):
            (status.done, status.dropped) = (true, true)
            status.message =
                "stream \(status.stream ?? 0) serves the new rules; stream \(stream), its slot and its bucket data "
                + "are gone"
        case .dropFailed(let stream, let reason):
            (status.done, status.dropped) = (true, false)
            status.message =
                "stream \(status.stream ?? 0) serves the new rules; stream \(stream) could not be dropped yet "
                + "(\(reason)); the next stack up drops it"
        }
    }
}
