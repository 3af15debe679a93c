import ServiceLifecycle
import StackCore

/// Where each component of `stack up` stands; components wait on their dependencies here.
public actor ReadinessGate {
    /// A component that failed, and why.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// The component's name (postgres, database, api, sync, …).
        public let component: String
        /// What went wrong.
        public let reason: String

        /// `component: reason`.
        public var description: String { "\(component): \(reason)" }
    }

    private var ready: [String: String] = [:]
    private var failure: Failure?
    private var closed = false
    private var waiters: [(names: Set<String>, continuation: CheckedContinuation<Void, Error>)] = []
    private var expected: Set<String>

    /// Creates a gate that is fully ready once every name in `expected` is.
    public init(expected: Set<String>) {
        self.expected = expected
    }

    /// Adds components the gate must see ready before it is fully ready.
    public func expect(_ names: Set<String>) {
        expected.formUnion(names)
    }

    /// Marks a component ready with a detail (its URL, port, …).
    public func markReady(_ component: String, detail: String = "") {
        ready[component] = detail
        resume()
    }

    /// Marks a component failed; everyone waiting gets the failure.
    public func markFailed(_ component: String, reason: String) {
        if failure == nil { failure = Failure(component: component, reason: reason) }
        resume()
    }

    /// The first failure, if any.
    public var firstFailure: Failure? { failure }

    /// The detail a ready component registered.
    public func detail(of component: String) -> String? { ready[component] }

    /// Ends every wait, now and later, with `CancellationError`: `stack up` is stopping, and a component waiting for
    /// a dependency that never came (replication that cannot start) must not keep the process alive.
    public func close() {
        closed = true
        let waiting = waiters
        waiters = []
        for waiter in waiting { waiter.continuation.resume(throwing: CancellationError()) }
    }

    /// Waits until all of `names` are ready; throws the first failure, or `CancellationError` once closed.
    public func wait(for names: Set<String>) async throws {
        if let failure { throw failure }
        if closed { throw CancellationError() }
        if names.isSubset(of: ready.keys) { return }
        try await withCheckedThrowingContinuation { continuation in
            waiters.append((names, continuation))
        }
    }

    /// Waits until every expected component is ready.
    public func waitForAll() async throws { try await wait(for: expected) }

    private func resume() {
        var remaining: [(names: Set<String>, continuation: CheckedContinuation<Void, Error>)] = []
        for waiter in waiters {
            if let failure {
                waiter.continuation.resume(throwing: failure)
            } else if waiter.names.isSubset(of: ready.keys) {
                waiter.continuation.resume()
            } else {
                remaining.append(waiter)
            }
        }
        waiters = remaining
    }
}

/// Closes the readiness gate as soon as shutdown begins. It is the last service of the group, so the first one a
/// signal reaches: without it, Ctrl-C while a component still waited for a dependency (a compaction waiting for a
/// replication that could not start) was never answered, because the group stops services one at a time.
struct ReadinessGateCloser: Service {
    let gate: ReadinessGate

    func run() async throws {
        try? await gracefulShutdown()
        await gate.close()
    }
}
