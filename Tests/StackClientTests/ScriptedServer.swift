import Foundation
import Hummingbird
import Logging
import NIOCore
import StackProtocol

/// A small real HTTP server playing the app backend and the sync service with scripted answers.
actor ScriptedServer {
    var uploadStatuses: [Int] = []
    var rejectOnSuccess: Set<Int> = []
    var uploads: [(authorization: String, body: UploadRequest)] = []
    var tokensIssued = 0
    var writeCheckpoint: Int64 = 9
    var streamLines: [SyncLine] = []
    // After the scripted lines the stream stays open (a live connection) instead of ending.
    var holdStreamOpen = false
    var streamRequests: [StreamingSyncRequest] = []
    var baseURL = ""

    func script(
        uploads statuses: [Int], rejectOnSuccess: Set<Int> = [], stream: [SyncLine] = [], holdOpen: Bool = false
    ) {
        uploadStatuses = statuses
        self.rejectOnSuccess = rejectOnSuccess
        streamLines = stream
        holdStreamOpen = holdOpen
    }

    func nextUploadStatus() -> Int { uploadStatuses.isEmpty ? 200 : uploadStatuses.removeFirst() }
    func recordUpload(_ authorization: String, _ body: UploadRequest) { uploads.append((authorization, body)) }
    func issueToken() -> String {
        tokensIssued += 1
        return "jwt-\(tokensIssued)"
    }
    func recordStream(_ request: StreamingSyncRequest) { streamRequests.append(request) }
    func setBaseURL(_ url: String) { baseURL = url }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    nonisolated func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/api/powersync/config") { _, _ in
            Self.json(#"{"powersyncUrl":"\#(await self.baseURL)","userId":"u1"}"#)
        }
        router.get("/api/auth/token") { request, _ in
            guard request.headers[.authorization] == "Bearer session-1" else {
                return Self.json("{}", status: .unauthorized)
            }
            return Self.json(#"{"token":"\#(await self.issueToken())"}"#)
        }
        router.put("/api/powersync/upload") { request, _ in
            let body = try await request.body.collect(upTo: 1 << 20)
            let upload = try JSONDecoder().decode(UploadRequest.self, from: Data(body.readableBytesView))
            await self.recordUpload(request.headers[.authorization] ?? "", upload)
            let status = await self.nextUploadStatus()
            let opID = upload.transactions.first?.opID ?? ""
            let count = await self.uploads.count
            if status == 200, await self.rejectOnSuccess.contains(count) {
                return Self.json(
                    #"{"applied":[],"rejected":[{"op_id":"\#(opID)","op_index":0,"code":"STACK-U010","message":"not yours"}]}"#
                )
            }
            if status == 200 { return Self.json(#"{"applied":["\#(opID)"],"rejected":[]}"#) }
            return Self.json(#"{"code":"BAD","message":"status \#(status)"}"#, status: .init(code: status))
        }
        router.get("/write-checkpoint2.json") { _, _ in
            Self.json(#"{"data":{"write_checkpoint":"\#(await self.writeCheckpoint)"}}"#)
        }
        router.post("/sync/stream") { request, _ in
            let body = try await request.body.collect(upTo: 1 << 20)
            await self.recordStream(
                try JSONDecoder().decode(StreamingSyncRequest.self, from: Data(body.readableBytesView)))
            var bytes: [UInt8] = []
            for line in await self.streamLines { bytes += line.ndjson() }
            guard await self.holdStreamOpen else {
                return Response(
                    status: .ok, headers: [.contentType: "application/x-ndjson"],
                    body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
            }
            return Response(
                status: .ok, headers: [.contentType: "application/x-ndjson"],
                body: ResponseBody { [bytes] writer in
                    try await writer.write(ByteBuffer(bytes: bytes))
                    // Keepalives until the client goes away (the write fails) or the server stops.
                    while true {
                        try await Task.sleep(for: .milliseconds(50))
                        try await writer.write(ByteBuffer(bytes: SyncLine.tokenExpiresIn(3600).ndjson()))
                    }
                })
        }
        return router
    }

    static let quietLogger: Logger = {
        var logger = Logger(label: "scripted-server")
        logger.logLevel = .critical
        return logger
    }()

    /// Runs the server on an ephemeral port for the duration of `body`.
    func serve<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        try await Self.serve(router()) { url in
            await self.setBaseURL(url)
            return try await body(url)
        }
    }

    /// Runs `router` on an ephemeral loopback port for the duration of `body`, which gets the base URL.
    static func serve<T: Sendable>(
        _ router: Router<BasicRequestContext>, _ body: @Sendable (String) async throws -> T
    ) async throws -> T {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: quietLogger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await application.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            let result = try await body("http://127.0.0.1:\(port)")
            group.cancelAll()
            return result
        }
    }
}
