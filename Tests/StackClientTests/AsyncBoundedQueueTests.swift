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

    @Test(.timeLimit(.minutes(1))) func takingQueuedElementsStopsAtTheFirstRefusedOneAndFreesTheProducer() async throws
    {
        let queue = AsyncBoundedQueue<Int>(capacity: 5)
        for value in [2, 4, 6, 7] { try await queue.send(value) }
        let producer = Task { try await queue.send(8) }  // fills the queue: waits for a slot
        #expect(queue.takeQueued(limit: 2) { $0 % 2 == 0 } == [2, 4], "at most the limit")
        #expect(queue.takeQueued(limit: 10) { $0 % 2 == 0 } == [6], "up to the first odd one")
        #expect(queue.takeQueued(limit: 10) { $0 % 2 == 0 } == [])
        try await producer.value
        #expect(try await queue.next() == 7)
        #expect(try await queue.next() == 8)
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
