import Foundation
import StackPGOutput

/// One event from the walsender, decoded on the replication thread.
public enum ReplicationEvent: Hashable, Sendable {
    /// A pgoutput message and the WAL range of its XLogData frame.
    case message(PGOutputMessage, walStart: LSN, walEnd: LSN)
    /// A primary keepalive (the thread has already answered it if a reply was requested).
    case keepalive(PrimaryKeepalive)
}

/// The events of one `START_REPLICATION`, in WAL order; ends on `stop()` or with a `ReplicationConnectionError`.
public struct ReplicationEventStream: AsyncSequence, Sendable {
    /// Each element is one event.
    public typealias Element = ReplicationEvent

    /// The buffer the replication thread fills.
    let buffer: ReplicationEventBuffer

    /// Creates the iterator; the stream supports a single consumer.
    public func makeAsyncIterator() -> Iterator {
        Iterator(buffer: buffer)
    }

    /// Drains the bounded buffer a batch at a time so the thread hand-off cost is paid once per batch.
    public struct Iterator: AsyncIteratorProtocol {
        /// The buffer to drain.
        let buffer: ReplicationEventBuffer
        private var batch: [ReplicationEvent] = []
        private var index = 0

        /// Creates an iterator over `buffer`.
        init(buffer: ReplicationEventBuffer) {
            self.buffer = buffer
        }

        /// True when `next()` will return without waiting (events of the last hand-off remain).
        public var hasBufferedEvents: Bool { index < batch.count }

        /// The next event, nil after a clean stop; throws `ReplicationConnectionError` when the stream failed.
        public mutating func next() async throws -> ReplicationEvent? {
            if index == batch.count {
                guard let next = try await buffer.nextBatch() else { return nil }
                batch = next
                index = 0
            }
            defer { index += 1 }
            return batch[index]
        }
    }
}

/// A bounded single-producer (the replication thread), single-consumer buffer.
final class ReplicationEventBuffer: @unchecked Sendable {
    private let condition = NSCondition()
    private let capacity: Int
    private var items: [ReplicationEvent] = []
    private var finished = false
    private var failure: ReplicationConnectionError?
    private var waiter: CheckedContinuation<[ReplicationEvent]?, Error>?

    /// Creates a buffer holding at most `capacity` events.
    init(capacity: Int) {
        self.capacity = max(1, capacity)
        items.reserveCapacity(self.capacity)
    }

    /// Producer: appends, blocking while the buffer is full. While blocked, `idle` runs every 100 ms (status updates,
    /// stop checks); it returns false to give up, and then `push` returns false.
    func push(_ event: ReplicationEvent, idle: () -> Bool) -> Bool {
        condition.lock()
        while items.count >= capacity {
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.1))
            condition.unlock()
            guard idle() else { return false }
            condition.lock()
        }
        items.append(event)
        resumeWaiterLocked()
        return true
    }

    /// How many events wait for the consumer now (tests watch the buffer fill).
    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return items.count
    }

    /// Producer: ends the stream after the buffered events (with an error, or cleanly when nil).
    func finish(_ error: ReplicationConnectionError?) {
        condition.lock()
        if !finished {
            finished = true
            failure = error
        }
        resumeWaiterLocked()
    }

    /// Consumer: all buffered events, waiting when there are none; nil at the end.
    func nextBatch() async throws -> [ReplicationEvent]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                condition.lock()
                if !items.isEmpty || finished {
                    let result = takeLocked()
                    condition.unlock()
                    continuation.resume(with: result)
                } else if Task.isCancelled {
                    // onCancel may already have run (and found no waiter): without this the consumer waits forever.
                    condition.unlock()
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiter = continuation
                    condition.unlock()
                }
            }
        } onCancel: {
            condition.lock()
            let cancelled = waiter
            waiter = nil
            condition.unlock()
            cancelled?.resume(throwing: CancellationError())
        }
    }

    // Called with the lock held; releases it.
    private func resumeWaiterLocked() {
        guard let continuation = waiter else {
            condition.unlock()
            return
        }
        waiter = nil
        let result = takeLocked()
        condition.unlock()
        continuation.resume(with: result)
    }

    private func takeLocked() -> Result<[ReplicationEvent]?, Error> {
        if !items.isEmpty {
            let batch = items
            items.removeAll(keepingCapacity: true)
            condition.broadcast()
            return .success(batch)
        }
        if let failure { return .failure(failure) }
        return .success(nil)
    }
}
