import StackClient
import Synchronization
import Testing

/// The queue between the stream's reading task and its storing task.
@Suite struct AsyncBoundedQueueTests {
    struct Failure: Error, Equatable {}

    @Test func elementsArriveInOrderAndTheProducerNeverRunsAheadOfTheCapacity() async throws {
        let queue = AsyncBoundedQueue<Int>(capacity: 3)
        let mostQueued = Mutex(0)
        let producer = Task {
            for value in 0..<300 {
                try await queue.send(value)
                let queued = queue.count
                mostQueued.withLock { $0 = max($0, queued) }
            }
            queue.finish()
        }
        var received: [Int] = []
        while let value = try await queue.next() {
            received.append(value)
            // A slow consumer: without backpressure the producer would queue everything.
            for _ in 0..<20 { await Task.yield() }
        }
        try await producer.value
        #expect(received == Array(0..<300))
        #expect(mostQueued.withLock { $0 } <= 3)
    }

    @Test func theProducersErrorArrivesAfterTheQueuedElements() async throws {
        let queue = AsyncBoundedQueue<Int>(capacity: 4)
        try await queue.send(1)
        try await queue.send(2)
        queue.finish(throwing: Failure())
        #expect(try await queue.next() == 1)
        #expect(try await queue.next() == 2)
        await #expect(throws: Failure.self) { try await queue.next() }
    }

    @Test func aConsumerThatStopsReleasesTheWaitingProducer() async throws {
        let queue = AsyncBoundedQueue<Int>(capacity: 1)
        let producer = Task {
            try await queue.send(1)  // fills the queue: waits for a consumer
            try await queue.send(2)
        }
        queue.close()
        await #expect(throws: CancellationError.self) { try await producer.value }
        await #expect(throws: CancellationError.self) { try await queue.send(3) }
    }

    @Test func aWaitingConsumerSeesTheEndOrItsCancellation() async throws {
        let queue = AsyncBoundedQueue<Int>(capacity: 2)
        let waiting = Task { try await queue.next() }
        queue.finish()
        #expect(try await waiting.value == nil)

        let other = AsyncBoundedQueue<Int>(capacity: 2)
        let cancelled = Task { try await other.next() }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
    }
}
