import Foundation
import Logging
import PostgresNIO

extension PostgresClient {
    /// Runs `body` in one transaction on a leased connection: `BEGIN`, `body`, `COMMIT`; `ROLLBACK` when `body`
    /// throws. Rethrows what failed (the `BEGIN`, `body` or `COMMIT` error) unchanged.
    ///
    /// Use this instead of PostgresNIO's `withTransaction`: a query written to a connection whose channel has just
    /// closed is never answered in PostgresNIO 1.33 (the write fails with no promise to complete), so its `ROLLBACK`
    /// after the server terminated the connection waited forever. That froze replication and uploads after a
    /// Postgres restart. Here every statement, `ROLLBACK` included, fails at once when its connection closes.
    public func transaction<Result>(
        logger: Logger,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        try await withConnection(isolation: isolation) { connection in
            try await connection.queryIfOpen("BEGIN", logger: logger)
            let value: Result
            do {
                value = try await body(connection)
            } catch {
                await Self.rollback(connection, logger: logger)
                throw error
            }
            try await connection.queryIfOpen("COMMIT", logger: logger)
            return value
        }
    }

    /// Runs `query` on a leased connection that is still open and hands its rows to `body` while the lease is held.
    /// Unlike `query`, it never writes to a connection the pool has not yet noticed is closed (see `transaction`).
    public func withRows<Result>(
        _ query: PostgresQuery, logger: Logger,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresRowSequence) async throws -> sending Result
    ) async throws -> sending Result {
        try await withConnection(isolation: isolation) { connection in
            try await body(try await connection.queryIfOpen(query, logger: logger))
        }
    }

    private static func rollback(_ connection: PostgresConnection, logger: Logger) async {
        // On a connection that closed (before or during the ROLLBACK) this fails at once; Postgres rolled back already.
        _ = try? await connection.queryIfOpen("ROLLBACK", logger: logger)
    }
}

/// The connection closed before the transaction could use it (the pool hands out a fresh one next time).
public struct PostgresConnectionClosed: Error, CustomStringConvertible {
    public var description: String { "the Postgres connection closed" }
}

extension PostgresConnection {
    /// `query`, refused at once when the connection has already closed. PostgresNIO 1.33 never answers a query
    /// written to a closed connection (see `PostgresClient.transaction`), so inside a transaction whose connection
    /// the server terminated between two statements the next statement would wait forever. The check alone leaves
    /// the instant between it and the write, so a query whose connection closes before it is answered also throws
    /// `PostgresConnectionClosed` instead of waiting forever (the unanswered query stays parked in its own task).
    @discardableResult
    public func queryIfOpen(
        _ query: PostgresQuery, logger: Logger, file: String = #fileID, line: Int = #line
    ) async throws -> PostgresRowSequence {
        if isClosed { throw PostgresConnectionClosed() }
        return try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<PostgresRowSequence, Error>) in
            let once = ResumeOnceThrowing(continuation)
            let token = ConnectionCloseWatch.shared.add(self) {
                once.resume(with: .failure(PostgresConnectionClosed()))
            }
            Task {
                do {
                    let rows = try await self.query(query, logger: logger, file: file, line: line)
                    once.resume(with: .success(rows))
                } catch {
                    once.resume(with: .failure(error))
                }
                ConnectionCloseWatch.shared.remove(self, token)
            }
        }
    }
}

/// Calls back the queries waiting on a connection when its channel closes: one close callback per connection, however
/// many queries it runs.
final class ConnectionCloseWatch: @unchecked Sendable {
    static let shared = ConnectionCloseWatch()
    private let lock = NSLock()
    // Keyed by the connection object: a connection id is unique only within its client.
    private var waiting: [ObjectIdentifier: [Int: @Sendable () -> Void]] = [:]
    private var nextToken = 0

    /// Calls `onClose` once if `connection` closes before `remove` is called with the returned token.
    func add(_ connection: PostgresConnection, onClose: @escaping @Sendable () -> Void) -> Int {
        let (token, first): (Int, Bool) = lock.withLock {
            nextToken += 1
            let first = waiting[ObjectIdentifier(connection)] == nil
            waiting[ObjectIdentifier(connection), default: [:]][nextToken] = onClose
            return (nextToken, first)
        }
        // A future that has already completed runs the callback at once.
        if first { connection.closeFuture.whenComplete { _ in self.closed(ObjectIdentifier(connection)) } }
        return token
    }

    /// Forgets a waiter whose query was answered.
    func remove(_ connection: PostgresConnection, _ token: Int) {
        lock.withLock { _ = waiting[ObjectIdentifier(connection)]?.removeValue(forKey: token) }
    }

    private func closed(_ id: ObjectIdentifier) {
        let callbacks = lock.withLock { waiting.removeValue(forKey: id) }
        callbacks?.values.forEach { $0() }
    }
}

/// No answer from Postgres within the time allowed (the connection was most likely closed under the query).
public struct PostgresNoAnswer: Error, CustomStringConvertible {
    /// The time allowed.
    public let timeout: Duration
    public var description: String { "Postgres did not answer within \(timeout) (connection lost?)" }
}

/// Runs `operation`, or throws `PostgresNoAnswer` after `timeout` without waiting for it any longer.
///
/// For small control queries on the pool right after Postgres connections died: the pool can still lease a
/// connection that has just closed, and PostgresNIO 1.33 never answers a query written to it (see
/// `PostgresClient.transaction`). The abandoned operation stays parked in its own task. Cancelling the caller
/// abandons it at once with `CancellationError` (and cancels it): a stack shutting down while Postgres is gone no
/// longer waits for the pool to give up on its connection attempts.
public func abandoningAfter<T: Sendable>(
    _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let attempt = AbandonableAttempt<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            let work = Task {
                do { attempt.finish(with: .success(try await operation())) } catch {
                    attempt.finish(with: .failure(error))
                }
            }
            let timer = Task {
                try? await Task.sleep(for: timeout)
                attempt.finish(with: .failure(PostgresNoAnswer(timeout: timeout)))
            }
            attempt.start(continuation, tasks: [work, timer])
        }
    } onCancel: {
        attempt.finish(with: .failure(CancellationError()))
    }
}

/// One `abandoningAfter` call: the first result (answer, timeout or cancellation) resumes the caller and cancels
/// the tasks still running; a result that comes before the caller waits is kept for it.
final class AbandonableAttempt<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, Error>?
    private var tasks: [Task<Void, Never>] = []
    private var result: Result<T, Error>?

    func start(_ continuation: CheckedContinuation<T, Error>, tasks: [Task<Void, Never>]) {
        let early = lock.withLock { () -> Result<T, Error>? in
            if result == nil {
                self.continuation = continuation
                self.tasks = tasks
            }
            return result
        }
        guard let early else { return }
        for task in tasks { task.cancel() }
        continuation.resume(with: early)
    }

    func finish(with outcome: Result<T, Error>) {
        let (waiting, running) = lock.withLock { () -> (CheckedContinuation<T, Error>?, [Task<Void, Never>]) in
            guard result == nil else { return (nil, []) }
            result = outcome
            defer {
                continuation = nil
                tasks = []
            }
            return (continuation, tasks)
        }
        for task in running { task.cancel() }
        waiting?.resume(with: outcome)
    }
}

/// Resumes a throwing continuation the first time `resume(with:)` is called.
private final class ResumeOnceThrowing<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, Error>?

    init(_ continuation: CheckedContinuation<T, Error>) {
        self.continuation = continuation
    }

    func resume(with result: Result<T, Error>) {
        let pending = lock.withLock {
            defer { continuation = nil }
            return continuation
        }
        pending?.resume(with: result)
    }
}

/// The rows of a query, read in full while its connection was leased.
public struct CollectedRows: AsyncSequence, Sendable {
    public typealias Element = PostgresRow

    /// The rows, in order.
    public let rows: [PostgresRow]

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: IndexingIterator<[PostgresRow]>
        public mutating func next() async throws -> PostgresRow? { base.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: rows.makeIterator()) }

    /// The rows, in order.
    public func collect() -> [PostgresRow] { rows }
}

extension PostgresClient {
    /// `query` for results that fit in memory, on a leased connection checked open, its rows read before the lease
    /// ends. Unlike `query`, it never waits forever on a connection the pool has not yet noticed is closed (see
    /// `transaction`): it throws `PostgresConnectionClosed` and the next call leases another connection.
    @discardableResult
    public func queryIfOpen(
        _ query: PostgresQuery, logger: Logger, isolation: isolated (any Actor)? = #isolation
    ) async throws -> CollectedRows {
        try await withRows(query, logger: logger, isolation: isolation) { CollectedRows(rows: try await $0.collect()) }
    }
}
