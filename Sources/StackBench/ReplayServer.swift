import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A loopback server that plays the app backend and the sync service for one device, answering `/sync/stream` with
/// a recorded stream from memory: a device syncing from it pays only its own costs, none of the stack's or
/// Postgres's (which share this machine's cores in the end-to-end figure).
///
/// After the recorded lines the stream stays open with keepalives, as a live one does; the device stops at the
/// checkpoint it applied.
struct ReplayServer {
    /// The stream's bytes: NDJSON lines, each ending in a newline.
    let stream: ByteBuffer
    /// The user id `/api/powersync/config` names.
    let userID: String

    /// Records a user's stream from the stack: every line up to and including the first `checkpoint_complete`.
    static func record(syncURL: String, token: String, client: HTTPClient) async throws -> ByteBuffer {
        var stream = ByteBuffer()
        var complete = false
        _ = try await RawSyncStream.read(client: client, syncURL: syncURL, token: token) { line, _ in
            stream.writeBytes(line)
            stream.writeInteger(UInt8(ascii: "\n"))
            complete = RawSyncStream.isLine(line, key: "checkpoint_complete")
            return !complete
        }
        guard complete else { throw BenchError("the recorded stream ended before its first checkpoint_complete") }
        return stream
    }

    /// Runs the server on an ephemeral loopback port for the duration of `body`, which gets its base URL.
    func serve<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let base = Mutex("")
        let router = Router()
        let stream = self.stream
        let userID = self.userID
        router.get("/api/powersync/config") { _, _ in
            try Self.json(["powersyncUrl": base.withLock { $0 }, "userId": userID])
        }
        router.get("/api/auth/token") { _, _ in try Self.json(["token": "replayed"]) }
        router.post("/sync/stream") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/x-ndjson"],
                body: ResponseBody { writer in
                    // In 1 MB writes, as a server flushing as it goes would send them.
                    var rest = stream
                    while let slice = rest.readSlice(length: min(1 << 20, rest.readableBytes)), slice.readableBytes > 0
                    {
                        try await writer.write(slice)
                    }
                    // Keepalives until the device goes away (the write fails) or the server stops.
                    while true {
                        try await Task.sleep(for: .milliseconds(100))
                        try await writer.write(ByteBuffer(string: #"{"token_expires_in":3600}"# + "\n"))
                    }
                })
        }
        var logger = Logger(label: "stack.bench.replay")
        logger.logLevel = .critical
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await application.run()
                return nil
            }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else {
                throw BenchError("the replay server did not start")
            }
            let url = "http://127.0.0.1:\(port)"
            base.withLock { $0 = url }
            return try await body(url)
        }
    }

    private static func json(_ object: [String: String]) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object)
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
