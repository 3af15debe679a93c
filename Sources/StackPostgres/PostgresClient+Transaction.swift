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
    /// Postgres restart. Here `ROLLBACK` is skipped on a closed connection, and given up after 5 s otherwise.
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

    private static func rollback(_ connection: PostgresConnection, logger: Logger) async {
        guard !connection.isClosed else { return }
        // The channel may still close between the check and the write; then nothing ever answers the ROLLBACK, so
        // it runs in its own task and the transaction gives up waiting after 5 s (the pool drops the closed
        // connection; the stray task stays parked on a promise nobody completes, which costs a few bytes).
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = ResumeOnce(continuation)
            Task {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                once.resume()
            }
            Task {
                try? await Task.sleep(for: .seconds(5))
                once.resume()
            }
        }
    }
}

/// The connection closed before the transaction could use it (the pool hands out a fresh one next time).
public struct PostgresConnectionClosed: Error, CustomStringConvertible {
    public var description: String { "the Postgres connection closed" }
}

/// Resumes a continuation the first time `resume()` is called.
private final class ResumeOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, Never>?

    init(_ continuation: CheckedContinuation<Void, Never>) {
        self.continuation = continuation
    }

    func resume() {
        let pending = lock.withLock {
            defer { continuation = nil }
            return continuation
        }
        pending?.resume()
    }
}

extension PostgresConnection {
    /// `query`, refused at once when the connection has already closed. PostgresNIO 1.33 never answers a query
    /// written to a closed connection (see `PostgresClient.transaction`), so inside a transaction whose connection
    /// the server terminated between two statements the next statement would wait forever. A close in the instant
    /// between this check and the write remains possible; it is microseconds wide instead of a whole statement.
    @discardableResult
    public func queryIfOpen(
        _ query: PostgresQuery, logger: Logger, file: String = #fileID, line: Int = #line
    ) async throws -> PostgresRowSequence {
        if isClosed { throw PostgresConnectionClosed() }
        return try await self.query(query, logger: logger, file: file, line: line)
    }
}
