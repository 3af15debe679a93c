import Logging
import NIOCore
import PostgresNIO
import _ConnectionPoolModule

/// Whether Postgres can be reached right now, so that requests fail fast with 503 while it cannot.
///
/// PostgresNIO's pool queues a request for up to a minute while it cannot connect (then its circuit breaker fails
/// every request until the next reconnect attempt, which backs off up to a minute; neither is configurable in 1.33).
/// This gate asks the server instead, at most once a second: while a request waits longer than `probeAfter`, after a
/// request failed for a reason other than its statement, and before each request while an outage is suspected.
///
/// Down means an answer that says so: the server refuses sessions because it is shutting down or starting up
/// (`ServerPing.rejecting`), or the TCP connect is refused or has no route, which a stopped server answers at once
/// however loaded the machine is. No answer within the timeout counts as up: a loaded machine's slow requests must
/// not turn into 503s (a probe that counted a slow handshake as down did exactly that in CI).
///
/// A server shutting down matters most to replication: its walsender waits for the stack to confirm the last WAL
/// before Postgres can stop, while the pool waits for Postgres to take connections again. Both would wait until
/// `pg_ctl`'s timeout; `abandoningWhenUnreachable` lets the stream's storage writes give up instead.
public actor DatabaseAvailability {
    private let probe: @Sendable () async -> Bool
    private let probeAfter: Duration
    private var suspectedDown = false
    private var lastProbe: (at: ContinuousClock.Instant, reachable: Bool)?

    /// How long a client should wait before retrying (`Retry-After`, seconds).
    public static let retryAfterSeconds = 5

    /// A gate probing `url`'s server with `ServerPing` and, when that gets no answer, a TCP connect to tell a refused
    /// port from a slow one (2 s timeouts, which count as reachable).
    public init(url: DatabaseURL, logger: Logger, probeAfter: Duration = .seconds(1)) {
        self.init(probeAfter: probeAfter) {
            switch await ServerPing.ping(url) {
            case .accepting:
                return true
            case .rejecting:
                logger.debug("database refuses sessions (shutting down or starting up)")
                return false
            case .noResponse:
                let outcome = await PortProbe.connect(host: url.host, port: url.port, timeout: .seconds(2))
                guard case .refused(let reason) = outcome else { return true }
                logger.debug("database port refused", metadata: ["reason": "\(reason)"])
                return false
            }
        }
    }

    /// A gate with its own probe (tests, and `alwaysAvailable`).
    public init(probeAfter: Duration = .seconds(1), probe: @escaping @Sendable () async -> Bool) {
        self.probeAfter = probeAfter
        self.probe = probe
    }

    /// A gate that never refuses: for one-shot commands that have no HTTP client to tell "retry later".
    public static var alwaysAvailable: DatabaseAvailability { DatabaseAvailability { true } }

    /// Runs `work`, which uses the database. Throws `DatabaseUnavailable` at once while an outage is suspected and
    /// the probe confirms it; when `work` waits longer than `probeAfter` and a probe then fails (cancelling `work`,
    /// which is then waiting for a pool connection, without waiting for it to stop); and when `work` fails because
    /// Postgres cannot be reached, told by its error or, for an error that is not a statement's, by a probe.
    public func guarding<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        if suspectedDown, await !isReachable() { throw DatabaseUnavailable() }
        do {
            return try await race(work)
        } catch  where Self.isUnreachable(error) {
            suspectedDown = true
            throw DatabaseUnavailable()
        } catch  where !(error is CancellationError) && !Self.isStatementError(error) {
            // Whatever a connection that broke mid-request throws: the network says whether Postgres is gone.
            if await !isReachable(fresh: true) { throw DatabaseUnavailable() }
            throw error
        }
    }

    /// Runs `work` against the watchdog alone: throws `DatabaseUnavailable` when `work` runs longer than `probeAfter`
    /// and a probe then says Postgres is down, cancelling `work` (a pool lease waiting for a connection ends at once;
    /// statements on a server that went down fail) without waiting for it. Otherwise returns or rethrows what `work`
    /// did, unchanged. For work that must not outlive an outage, such as replication's storage writes.
    public nonisolated func abandoningWhenUnreachable<T: Sendable>(
        _ work: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await race(work)
    }

    // `work` against a watchdog that probes every `probeAfter` while it runs. The first outcome answers the caller
    // and the other task is cancelled and left behind: a task group would wait for it, and a query that ignores
    // cancellation (or a probe stuck in a handshake) kept requests waiting for minutes on a loaded machine.
    private nonisolated func race<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let attempt = AbandonableAttempt<T>()
        let probeAfter = self.probeAfter
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
                let worker = Task {
                    do { attempt.finish(with: .success(try await work())) } catch {
                        attempt.finish(with: .failure(error))
                    }
                }
                let watchdog = Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: probeAfter)
                        if Task.isCancelled { return }
                        if await !self.isReachable() { return attempt.finish(with: .failure(DatabaseUnavailable())) }
                    }
                }
                attempt.start(continuation, tasks: [worker, watchdog])
            }
        } onCancel: {
            attempt.finish(with: .failure(CancellationError()))
        }
    }

    /// Probes now unless the last probe is younger than a second (or `fresh`); a success ends the suspected outage.
    /// A probe that takes longer than 3 s counts as reachable: a slow server is not a stopped one.
    private func isReachable(fresh: Bool = false) async -> Bool {
        if !fresh, let lastProbe, lastProbe.at.duration(to: .now) < .seconds(1) { return lastProbe.reachable }
        let probe = self.probe
        let reachable = (try? await abandoningAfter(.seconds(3)) { await probe() }) ?? true
        lastProbe = (.now, reachable)
        suspectedDown = !reachable
        return reachable
    }

    /// Whether `error` is the server's answer to a statement (a constraint, a syntax error): Postgres is up.
    static func isStatementError(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return false }
        return error.code == .server
    }

    /// Whether `error` says Postgres cannot be reached (rather than that a statement failed).
    public static func isUnreachable(_ error: any Error) -> Bool {
        switch error {
        case is DatabaseUnavailable, is PostgresConnectionClosed:
            return true
        case let error as ConnectionPoolError:
            return error == .connectionCreationCircuitBreakerTripped || error == .poolShutdown
        case let error as PSQLError:
            switch error.code {
            case .connectionError, .serverClosedConnection, .uncleanShutdown, .poolClosed:
                return true
            default:
                // 08: connection exception; 57P01..03: the server is shutting down or starting up.
                guard let state = error.serverInfo?[.sqlState] else { return false }
                return state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state)
            }
        default:
            return false
        }
    }
}

/// Postgres cannot be reached: the request should be answered 503 with `Retry-After`.
public struct DatabaseUnavailable: Error, CustomStringConvertible {
    /// Creates the error.
    public init() {}

    /// For logs.
    public var description: String { "the database cannot be reached" }
}
