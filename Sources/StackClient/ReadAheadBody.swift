import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// A streaming HTTP response whose body is read ahead of its consumer, up to `limit` bytes.
///
/// AsyncHTTPClient's async body keeps a single chunk (at most 64 KB) waiting: the socket is read again only after the
/// consumer took that chunk and the request reached the event loop, so a download paid two thread hand-offs per
/// 64 KB (2,300 round trips for a 151 MB initial sync). Here the event loop keeps reading while fewer than `limit`
/// bytes wait, and the consumer takes everything that arrived at once; past `limit` reading stops until the consumer
/// catches up (backpressure reaches the server). A 138k-row initial sync against a local stack: 2.77–2.91 s instead of
/// 2.90–2.98 s (4 alternating pairs); the stack's CPU fell a little too (1.11–1.17 s from 1.18–1.23 s).
///
/// The body ends with `nil` from `next()`, or an error. Dropping the last reference cancels the request.
final class ReadAheadBody: Sendable {
    /// Bytes read ahead before the socket is left unread.
    static let defaultLimit = 8 << 20

    private let delegate: Delegate
    private let task: HTTPClient.Task<Void>

    /// Starts `request` on `client`.
    init(client: HTTPClient, request: HTTPClient.Request, limit: Int = ReadAheadBody.defaultLimit) {
        delegate = Delegate(limit: limit)
        task = client.execute(request: request, delegate: delegate, deadline: nil)
    }

    deinit {
        task.cancel()
    }

    /// Bytes read and not yet taken (for tests).
    var bufferedBytes: Int { delegate.bufferedBytes }

    /// The response head, once it arrived.
    func head() async throws -> HTTPResponseHead {
        try await withTaskCancellationHandler {
            try await delegate.head()
        } onCancel: {
            task.cancel()
        }
    }

    /// Every chunk that arrived since the last call, waiting for one if none did; nil at the end of the body.
    func next() async throws -> [ByteBuffer]? {
        try await withTaskCancellationHandler {
            try await delegate.next()
        } onCancel: {
            task.cancel()
        }
    }

    /// The whole remaining body, up to `limit` bytes (for error responses).
    func collect(upTo limit: Int) async throws -> ByteBuffer {
        var body = ByteBuffer()
        while let chunks = try await next() {
            for var chunk in chunks where body.readableBytes < limit {
                body.writeBuffer(&chunk)
            }
        }
        return body
    }

    /// The HTTP client's side: called on the connection's event loop.
    private final class Delegate: HTTPClientResponseDelegate, Sendable {
        typealias Response = Void

        private struct State {
            var head: HTTPResponseHead?
            var headWaiter: CheckedContinuation<HTTPResponseHead, any Error>?
            var chunks: [ByteBuffer] = []
            var bytes = 0
            var finished = false
            var failure: (any Error)?
            var consumer: CheckedContinuation<[ByteBuffer]?, any Error>?
            // Completed when the consumer takes the chunks: the event loop reads again.
            var paused: EventLoopPromise<Void>?
        }

        private let limit: Int
        private let state = Mutex(State())

        init(limit: Int) {
            self.limit = max(1, limit)
        }

        var bufferedBytes: Int { state.withLock { $0.bytes } }

        func head() async throws -> HTTPResponseHead {
            try await withCheckedThrowingContinuation { continuation in
                let ready: Result<HTTPResponseHead, any Error>? = state.withLock { state in
                    if let head = state.head { return .success(head) }
                    if let failure = state.failure { return .failure(failure) }
                    if state.finished { return .failure(HTTPClientError.remoteConnectionClosed) }
                    state.headWaiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        }

        func next() async throws -> [ByteBuffer]? {
            try await withCheckedThrowingContinuation { continuation in
                let (ready, paused) = state.withLock {
                    state -> (Result<[ByteBuffer]?, any Error>?, EventLoopPromise<Void>?) in
                    if !state.chunks.isEmpty {
                        defer {
                            state.chunks = []
                            state.bytes = 0
                            state.paused = nil
                        }
                        return (.success(state.chunks), state.paused)
                    }
                    if let failure = state.failure { return (.failure(failure), nil) }
                    if state.finished { return (.success(nil), nil) }
                    state.consumer = continuation
                    return (nil, nil)
                }
                paused?.succeed()
                if let ready { continuation.resume(with: ready) }
            }
        }

        func didReceiveHead(task: HTTPClient.Task<Void>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
            let waiter = state.withLock { state in
                state.head = head
                defer { state.headWaiter = nil }
                return state.headWaiter
            }
            waiter?.resume(returning: head)
            return task.eventLoop.makeSucceededVoidFuture()
        }

        func didReceiveBodyPart(task: HTTPClient.Task<Void>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
            let promise = task.eventLoop.makePromise(of: Void.self)
            let (consumer, wait) = state.withLock { state -> (CheckedContinuation<[ByteBuffer]?, any Error>?, Bool) in
                if let consumer = state.consumer {
                    state.consumer = nil
                    return (consumer, false)
                }
                state.chunks.append(buffer)
                state.bytes += buffer.readableBytes
                guard state.bytes >= limit else { return (nil, false) }
                state.paused = promise
                return (nil, true)
            }
            if wait { return promise.futureResult }
            promise.succeed()
            consumer?.resume(returning: [buffer])
            return promise.futureResult
        }

        func didReceiveError(task: HTTPClient.Task<Void>, _ error: any Error) {
            end(task: task, failure: error)
        }

        func didFinishRequest(task: HTTPClient.Task<Void>) throws {
            end(task: task, failure: nil)
        }

        private func end(task: HTTPClient.Task<Void>, failure: (any Error)?) {
            let (headWaiter, consumer, paused, outcome) = state.withLock { state in
                if !state.finished {
                    state.finished = true
                    state.failure = failure
                }
                defer {
                    state.headWaiter = nil
                    state.consumer = nil
                    state.paused = nil
                }
                return (state.headWaiter, state.consumer, state.paused, state.failure)
            }
            paused?.succeed()
            if let outcome {
                headWaiter?.resume(throwing: outcome)
                consumer?.resume(throwing: outcome)
            } else {
                headWaiter?.resume(throwing: HTTPClientError.remoteConnectionClosed)
                consumer?.resume(returning: nil)
            }
        }
    }
}
