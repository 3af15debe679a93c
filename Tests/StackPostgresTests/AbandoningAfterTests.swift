import StackPostgres
import Synchronization
import Testing

/// `abandoningAfter`: a control query that gets no answer is given up after its timeout, or at once when the caller
/// is cancelled (a stack shutting down while Postgres is gone).
@Suite struct AbandoningAfterTests {
    /// An operation that ignores cancellation and waits, without holding a thread, until `release()` (like a query
    /// on a connection that never answers); records whether it ended.
    final class StuckOperation: Sendable {
        private let state = Mutex<(released: Bool, waiting: CheckedContinuation<Void, Never>?)>((false, nil))
        let ended = Mutex(false)

        func run() async -> Int {
            await withCheckedContinuation { continuation in
                let released = state.withLock { state in
                    if !state.released { state.waiting = continuation }
                    return state.released
                }
                if released { continuation.resume() }
            }
            ended.withLock { $0 = true }
            return 1
        }

        func release() {
            state.withLock { state in
                state.released = true
                defer { state.waiting = nil }
                return state.waiting
            }?.resume()
        }
    }

    @Test(.timeLimit(.minutes(1))) func anAnswerInTimeIsReturned() async throws {
        #expect(try await abandoningAfter(.seconds(30)) { 42 } == 42)
    }

    @Test(.timeLimit(.minutes(1))) func noAnswerWithinTheTimeoutIsAbandoned() async throws {
        let stuck = StuckOperation()
        defer { stuck.release() }
        await #expect(throws: PostgresNoAnswer.self) {
            try await abandoningAfter(.milliseconds(200)) { await stuck.run() }
        }
        #expect(!stuck.ended.withLock { $0 })
    }

    @Test(.timeLimit(.minutes(1))) func cancellingTheCallerAbandonsTheOperationAtOnce() async throws {
        let stuck = StuckOperation()
        defer { stuck.release() }
        let caller = Task { try await abandoningAfter(.seconds(3600)) { await stuck.run() } }
        try await Task.sleep(for: .milliseconds(100))
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        #expect(!stuck.ended.withLock { $0 }, "the caller did not wait for the operation")

        // Already cancelled before it starts: no wait either.
        let other = StuckOperation()
        defer { other.release() }
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await abandoningAfter(.seconds(3600)) { await other.run() }
        }
        await #expect(throws: CancellationError.self) { try await early.value }
    }
}
