import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import Synchronization
import Testing

@testable import StackClient

/// The sync stream's response body, read ahead of its consumer, against a real HTTP server on loopback.
@Suite struct ReadAheadBodyTests {
    /// A 2 MB test body: 8 KB pieces, each starting with its offset, so a lost, repeated or reordered piece breaks it.
    /// Built once and compared with `memcmp` (`Data ==`): a loop over every byte took seconds in a debug build and
    /// held a thread of the shared concurrency pool that other tests' timers need.
    static let piece = 8192
    static let body: Data = {
        var data = Data(repeating: 0x2A, count: 2 << 20)
        for offset in stride(from: 0, to: data.count, by: piece) {
            withUnsafeBytes(of: UInt64(offset).bigEndian) { data.replaceSubrange(offset..<offset + 8, with: $0) }
        }
        return data
    }()

    /// Runs a server whose `/body` answers with `respond`, for the duration of `body`.
    static func serve<T: Sendable>(
        _ respond: @escaping @Sendable () -> ResponseBody, _ body: @Sendable (String) async throws -> T
    ) async throws -> T {
        let router = Router()
        router.get("/body") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: respond())
        }
        return try await ScriptedServer.serve(router) { base in try await body(base + "/body") }
    }

    @Test("a 2 MB body arrives whole and in order, several chunks per call once the consumer falls behind")
    func wholeAndInOrder() async throws {
        let (received, largestTake) = try await Self.serve({
            ResponseBody { writer in
                for offset in stride(from: 0, to: Self.body.count, by: Self.piece) {
                    try await writer.write(ByteBuffer(bytes: Self.body[offset..<offset + Self.piece]))
                }
                try await writer.finish(nil)
            }
        }) { url in
            let body = ReadAheadBody(
                client: StackConnector.deviceHTTPClient, request: try HTTPClient.Request(url: url), limit: 1 << 20)
            #expect(try await body.head().status == .ok)
            var received = Data()
            var largestTake = 0
            while let chunks = try await body.next() {
                largestTake = max(largestTake, chunks.count)
                for chunk in chunks {
                    chunk.withUnsafeReadableBytes { received.append($0.assumingMemoryBound(to: UInt8.self)) }
                }
                // A slow consumer (SQLite storing a line): the event loop goes on reading meanwhile.
                try await Task.sleep(for: .milliseconds(5))
            }
            return (received, largestTake)
        }
        #expect(received.count == Self.body.count)
        #expect(received == Self.body)
        #expect(largestTake > 1)
    }

    @Test("reading stops at the limit while the consumer waits, goes on when it takes, and dropping the body cancels")
    func backpressureAndCancel() async throws {
        let limit = 256 << 10
        let written = Atomic<Int>(0)
        let serverDone = Atomic<Bool>(false)
        try await Self.serve({
            ResponseBody { writer in
                defer { serverDone.store(true, ordering: .releasing) }
                var offset = 0
                // An endless body (a live sync stream): ends only when the client goes away.
                while true {
                    try await writer.write(ByteBuffer(repeating: 0x2A, count: 16384))
                    offset += 16384
                    written.store(offset, ordering: .releasing)
                }
            }
        }) { url in
            var body: ReadAheadBody? = ReadAheadBody(
                client: StackConnector.deviceHTTPClient, request: try HTTPClient.Request(url: url), limit: limit)
            _ = try await body?.head()
            _ = try await body?.next()
            // The event loop reads up to the limit (however long a loaded machine takes), plus at most one read
            // (64 KB) that was under way, and then stops while the consumer takes nothing.
            let filled = ContinuousClock.now + .seconds(30)
            while (body?.bufferedBytes ?? 0) < limit, ContinuousClock.now < filled {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect((body?.bufferedBytes ?? 0) >= limit)
            try await Task.sleep(for: .milliseconds(300))
            let held = body?.bufferedBytes ?? 0
            #expect(held <= limit + (64 << 10))
            // The server's writes stall on the full socket: it is far less than a second's worth of loopback ahead.
            let stalled = written.load(ordering: .acquiring)
            try await Task.sleep(for: .milliseconds(300))
            let moved = written.load(ordering: .acquiring) - stalled
            #expect(moved < 64 << 20)
            let taken = try await body?.next()?.reduce(0) { $0 + $1.readableBytes } ?? 0
            #expect(taken == held)
            // Taking the chunks resumed reading: more arrives.
            var more = 0
            while more == 0 { more = try await body?.next()?.count ?? 0 }
            body = nil
            let deadline = ContinuousClock.now + .seconds(10)
            while !serverDone.load(ordering: .acquiring), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            let done = serverDone.load(ordering: .acquiring)
            #expect(done, "the server still writes after the body was dropped")
        }
    }

    @Test("cancelling a consumer that waits for the next chunk ends the wait with an error")
    func cancelWhileWaiting() async throws {
        try await Self.serve({
            ResponseBody { writer in
                try await writer.write(ByteBuffer(string: "first"))
                try await Task.sleep(for: .seconds(60))
            }
        }) { url in
            let body = ReadAheadBody(client: StackConnector.deviceHTTPClient, request: try HTTPClient.Request(url: url))
            _ = try await body.head()
            #expect(try await body.next()?.first.map { String(buffer: $0) } == "first")
            let waiting = Task { try await body.next() }
            try await Task.sleep(for: .milliseconds(100))
            let start = ContinuousClock.now
            waiting.cancel()
            await #expect(throws: (any Error).self) { try await waiting.value }
            #expect(ContinuousClock.now - start < .seconds(5))
        }
    }
}
