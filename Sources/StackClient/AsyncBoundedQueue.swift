import Synchronization

/// A bounded queue between one producer task and one consumer task: `send` waits while `capacity` elements are
/// queued (backpressure), `next` waits while none are.
///
/// The producer ends the queue with `finish(throwing:)`; the consumer sees the queued elements first, then the end
/// or the error. A consumer that stops early calls `close()`: a waiting or later `send` throws `CancellationError`.
public final class AsyncBoundedQueue<Element: Sendable>: Sendable {
    /// How many elements may wait.
    public let capacity: Int
    private let state: Mutex<State>

    private struct State {
        var elements: [Element] = []
        var head = 0
        var finished = false
        var failure: (any Error)?
        var closed = false
        var producer: CheckedContinuation<Void, any Error>?
        var consumer: CheckedContinuation<Element?, any Error>?

        var count: Int { elements.count - head }

        mutating func popFirst() -> Element? {
            guard head < elements.count else { return nil }
            defer {
                head += 1
                if head == elements.count {
                    elements.removeAll(keepingCapacity: true)
                    head = 0
                }
            }
            return elements[head]
        }
    }

    // What `send` found under the lock.
    private enum SendStep {
        case handOver(CheckedContinuation<Element?, any Error>)
        case queued
        case waiting
        case refused
    }

    /// Creates an empty queue.
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        self.state = Mutex(State())
    }

    /// Elements waiting now.
    public var count: Int { state.withLock { $0.count } }

    /// Producer: queues `element`, waiting while the queue is full. Throws `CancellationError` when the task is
    /// cancelled or the consumer closed the queue.
    public func send(_ element: Element) async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let step = state.withLock { state -> SendStep in
                    if state.closed || Task.isCancelled { return .refused }
                    if let consumer = state.consumer {
                        state.consumer = nil
                        return .handOver(consumer)
                    }
                    state.elements.append(element)
                    if state.count < capacity { return .queued }
                    state.producer = continuation
                    return .waiting
                }
                switch step {
                case .handOver(let consumer):
                    consumer.resume(returning: element)
                    continuation.resume()
                case .queued:
                    continuation.resume()
                case .waiting:
                    break
                case .refused:
                    continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            state.withLock { state in
                defer { state.producer = nil }
                return state.producer
            }?.resume(throwing: CancellationError())
        }
    }

    /// Producer: no more elements; `failure` is thrown to the consumer after the queued elements.
    public func finish(throwing failure: (any Error)? = nil) {
        let consumer = state.withLock { state -> CheckedContinuation<Element?, any Error>? in
            guard !state.finished else { return nil }
            state.finished = true
            state.failure = failure
            defer { state.consumer = nil }
            return state.consumer
        }
        if let failure {
            consumer?.resume(throwing: failure)
        } else {
            consumer?.resume(returning: nil)
        }
    }

    /// Consumer: the next element, waiting while the queue is empty; nil at the end, or the producer's error.
    public func next() async throws -> Element? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Element?, any Error>) in
                let resumed = state.withLock {
                    state -> (Result<Element?, any Error>, CheckedContinuation<Void, any Error>?)? in
                    if let element = state.popFirst() {
                        // A slot is free: a producer waiting for one may continue.
                        defer { state.producer = nil }
                        return (.success(element), state.producer)
                    }
                    if state.finished { return (state.failure.map { .failure($0) } ?? .success(nil), nil) }
                    if Task.isCancelled { return (.failure(CancellationError()), nil) }
                    state.consumer = continuation
                    return nil
                }
                if let (result, producer) = resumed {
                    producer?.resume()
                    continuation.resume(with: result)
                }
            }
        } onCancel: {
            state.withLock { state in
                defer { state.consumer = nil }
                return state.consumer
            }?.resume(throwing: CancellationError())
        }
    }

    /// Consumer: takes, without waiting, the elements queued now from the front while `include` accepts them (at
    /// most `limit`); a producer waiting for a free slot may continue.
    public func takeQueued(limit: Int, while include: (Element) -> Bool) -> [Element] {
        let (taken, producer) = state.withLock { state -> ([Element], CheckedContinuation<Void, any Error>?) in
            var taken: [Element] = []
            while taken.count < limit, state.head < state.elements.count, include(state.elements[state.head]) {
                taken.append(state.popFirst()!)
            }
            guard !taken.isEmpty else { return ([], nil) }
            defer { state.producer = nil }
            return (taken, state.producer)
        }
        producer?.resume()
        return taken
    }

    /// Consumer: stops taking elements; drops those queued and refuses further `send`s.
    public func close() {
        let producer = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            state.closed = true
            state.elements.removeAll()
            state.head = 0
            defer { state.producer = nil }
            return state.producer
        }
        producer?.resume(throwing: CancellationError())
    }
}
