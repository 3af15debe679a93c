import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import StackBuckets
import StackCore
import StackProtocol
import StackSyncRules
import Synchronization

/// The PowerSync-compatible sync service: `/sync/stream`, write checkpoints. Shared by every connection: the
/// bucket storage, the compiled sync rules, the token verifier, the checksum cache and the connection count.
public final class SyncService: Sendable {
    let storage: BucketStorage
    let rules: SyncRules?
    let authenticator: any SyncAuthenticator
    let limits: SyncLimits
    let logger: Logger
    let cache: ChecksumCache
    let streamRules = StreamRulesCache()
    let now: @Sendable () -> Date
    private let connections = Mutex(0)
    /// Counters for `GET /metrics`.
    let counters = SyncCounters()

    /// Creates the service. `rules` nil means no sync rules are configured (streams get `PSYNC_S2302`).
    public init(
        storage: BucketStorage, rules: SyncRules?, authenticator: any SyncAuthenticator,
        limits: SyncLimits = SyncLimits(),
        logger: Logger, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.storage = storage
        self.rules = rules
        self.authenticator = authenticator
        self.limits = limits
        self.logger = logger
        self.cache = ChecksumCache(storage: storage, capacity: limits.checksumCacheEntries)
        self.now = now
    }

    /// Open `/sync/stream` connections.
    public var openConnections: Int { connections.withLock { $0 } }

    /// Storage queries the checksum cache made so far (many clients at one checkpoint share one).
    public var checksumQueries: Int {
        get async { await cache.queries }
    }

    /// Checkpoints whose bucket checksums a connection looked up (one that moved only the LSN needs none).
    public var checksumLookups: Int {
        get async { await cache.lookups }
    }

    /// Bytes of stream responses the clients' sockets have taken so far.
    public var streamBytesSent: Int { counters.bytesSent.load(ordering: .relaxed) }

    /// The counters of `GET /metrics`, in Prometheus' text format.
    public func metricsText() async -> String {
        """
        # HELP stack_sync_connections Open /sync/stream connections.
        # TYPE stack_sync_connections gauge
        stack_sync_connections \(openConnections)
        # HELP stack_sync_checksum_queries_total Bucket-checksum queries made (clients at one checkpoint share one).
        # TYPE stack_sync_checksum_queries_total counter
        stack_sync_checksum_queries_total \(await checksumQueries)
        # HELP stack_sync_checksum_lookups_total Checkpoints whose bucket checksums a connection needed (cached or not).
        # TYPE stack_sync_checksum_lookups_total counter
        stack_sync_checksum_lookups_total \(await checksumLookups)
        # HELP stack_sync_bytes_sent_total Stream bytes the clients' sockets have taken.
        # TYPE stack_sync_bytes_sent_total counter
        stack_sync_bytes_sent_total \(streamBytesSent)

        """
    }

    /// Adds `/sync/stream`, `/write-checkpoint2.json`, `/sync/checkpoint-request` and `/metrics`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(string: await self.metricsText())))
        }
        router.post("/sync/stream") { request, _ in
            await self.respond { try await self.stream(request) }
        }
        router.get("/write-checkpoint2.json") { request, _ in
            await self.respond { try await self.writeCheckpoint(request) }
        }
        router.post("/sync/checkpoint-request") { request, _ in
            await self.respond { try await self.checkpointRequest(request) }
        }
    }

    private func respond(_ work: () async throws -> Response) async -> Response {
        do {
            return try await work()
        } catch let error as SyncServiceError {
            return Self.json(status: error.status, error.body)
        } catch {
            logger.warning("sync request failed", metadata: ["error": "\(error)"])
            return Self.json(status: 500, SyncServiceError.internalError.body)
        }
    }

    // MARK: - /sync/stream

    func stream(_ original: Request) async throws -> Response {
        var request = original
        let user = try await authenticator.authenticate(authorization: request.headers[.authorization])
        guard let rules else { throw SyncServiceError.noSyncRules }
        // collectBody keeps the connection's inbound stream, so a disconnect can still be noticed while streaming.
        // An empty body sets no flag: like an absent `raw_data`, it gets the legacy data form.
        let body = try Self.decode(
            StreamingSyncRequest.self, from: try await Self.collect(&request),
            empty: StreamingSyncRequest(includeChecksum: nil, rawData: nil, binaryData: nil))
        let parameters = try Self.requestParameters(user: user, body: body)
        guard acquireConnection() else {
            throw SyncServiceError.tooManyConnections(limit: limits.maxConcurrentConnections)
        }
        var logger = self.logger
        logger[metadataKey: "sync.user"] = "\(user.userID)"
        if let clientID = body.clientID { logger[metadataKey: "sync.client"] = "\(clientID)" }
        do {
            let first: StackBuckets.Checkpoint? =
                if let current = storage.notifier.current { current } else { try await storage.latestCheckpoint() }
            // The served stream's own rules: after a rules change the config's are not served until their stream
            // has caught up.
            var served = rules
            if let first, let stored = try await streamRules.rules(stream: first.streamID, storage: storage) {
                served = stored
            }
            let querier = served.querier(for: parameters, streamID: first.map { String($0.streamID) })
            for error in querier.errors {
                logger.warning(
                    "sync rules parameter query failed for this user",
                    metadata: ["sync.definition": "\(error.definition)", "sync.error": "\(error.message)"])
            }
            let session = SyncSession(
                service: self, user: user, request: body, querier: querier, rulesStream: first?.streamID,
                logger: logger)
            if let first {
                // Refuse before the 200 when the user's bucket count is over the limit.
                let count = try await session.buckets(at: first).count
                if count > limits.maxBucketsPerConnection {
                    throw SyncServiceError.tooManyBuckets(limit: limits.maxBucketsPerConnection, got: count)
                }
            }
            let initial = storage.notifier.current == nil ? first : nil
            logger.debug("sync stream opened", metadata: ["sync.buckets": "\(body.buckets?.count ?? 0)"])
            let sessionLogger = logger
            let streamedRequest = request
            let body = ResponseBody { writer in
                let logger = sessionLogger
                defer { self.releaseConnection() }
                do {
                    // Ends on client disconnect (even while idle) and on server shutdown.
                    try await streamedRequest.body.consumeWithInboundCloseHandler { _ in
                        try await withGracefulShutdownHandler {
                            try await session.run(writer: &writer, first: initial)
                        } onGracefulShutdown: {
                            session.close()
                        }
                    } onInboundClosed: {
                        session.close()
                    }
                    try await writer.finish(nil)
                    logger.debug("sync stream ended")
                } catch {
                    logger.debug("sync stream closed", metadata: ["error": "\(error)"])
                    throw error
                }
            }
            return Response(
                status: .ok,
                headers: [.contentType: "application/x-ndjson", .cacheControl: "no-store", Self.accelBuffering: "no"],
                body: body)
        } catch {
            releaseConnection()
            throw error
        }
    }

    static let accelBuffering = HTTPField.Name("X-Accel-Buffering")!

    private func acquireConnection() -> Bool {
        connections.withLock { count in
            guard count < limits.maxConcurrentConnections else { return false }
            count += 1
            return true
        }
    }

    private func releaseConnection() {
        connections.withLock { $0 -= 1 }
    }

    static func requestParameters(user: SyncUser, body: StreamingSyncRequest) throws(SyncServiceError)
        -> RequestParameters
    {
        func parse(_ value: StackCore.JSONValue?, what: String) throws(SyncServiceError) -> StackSyncRules.JSONValue {
            guard let value, value != .null else { return .object([]) }
            var writer = JSONWriter()
            writer.value(value)
            let parsed: StackSyncRules.JSONValue
            do {
                parsed = try StackSyncRules.JSONValue.parse(String(decoding: writer.bytes, as: UTF8.self))
            } catch {
                throw SyncServiceError.badRequest("\(what) is not valid JSON")
            }
            guard case .object = parsed else { throw SyncServiceError.badRequest("\(what) must be a JSON object") }
            return parsed
        }
        return RequestParameters(
            userID: user.userID, jwtPayload: try parse(user.payload, what: "the token payload"),
            clientParameters: try parse(body.parameters, what: "`parameters`"))
    }

    // MARK: - Write checkpoints

    func writeCheckpoint(_ request: Request) async throws -> Response {
        let user = try await authenticator.authenticate(authorization: request.headers[.authorization])
        let clientID = request.uri.queryParameters.get("client_id")
        let value = try await storage.createWriteCheckpoint(userID: user.userID, clientID: clientID)
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("data")
        writer.beginObject()
        writer.key("write_checkpoint")
        writer.opID(OpID(value))
        writer.endObject()
        writer.endObject()
        return Self.json(status: 200, bytes: writer.bytes)
    }

    func checkpointRequest(_ request: Request) async throws -> Response {
        let user = try await authenticator.authenticate(authorization: request.headers[.authorization])
        var request = request
        let body = try Self.decode(CheckpointRequestBody.self, from: try await Self.collect(&request), empty: nil)
        guard body.checkpointRequestID.value >= 1 else {
            throw SyncServiceError.badRequest("`checkpoint_request_id` must be between 1 and 2^63-1")
        }
        let stored = try await storage.requestCheckpoint(
            userID: user.userID, clientID: body.clientID, requestID: body.checkpointRequestID.value)
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("data")
        writer.beginObject()
        writer.key("checkpoint_request_id")
        writer.opID(OpID(stored))
        writer.endObject()
        writer.endObject()
        return Self.json(status: 200, bytes: writer.bytes)
    }

    // MARK: - Helpers

    static let maximumRequestBytes = 1 << 20

    static func collect(_ request: inout Request) async throws -> Data {
        do {
            return Data(try await request.collectBody(upTo: maximumRequestBytes).readableBytesView)
        } catch {
            throw SyncServiceError.badRequest("the request body is larger than \(maximumRequestBytes) bytes")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: Data, empty: T?) throws -> T {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }), let empty { return empty }
        if JSONNesting.exceedsLimit(bytes) {
            throw SyncServiceError.badRequest("the request body is nested more than \(JSONNesting.limit) levels deep")
        }
        do {
            return try JSONDecoder().decode(T.self, from: bytes)
        } catch let DecodingError.keyNotFound(key, _) {
            throw SyncServiceError.badRequest("the request body lacks `\(key.stringValue)`")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw SyncServiceError.badRequest("the request body has a wrong type at `\(path(context.codingPath))`")
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.last?.stringValue == "after" {
            // Valid JSON with a bad value inside: name the field rather than blaming the syntax.
            throw SyncServiceError.badRequest(
                "`\(path(context.codingPath))` must be an op id (a decimal string such as \"0\" or \"1234\")")
        } catch DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty {
            throw SyncServiceError.badRequest("the request body has an invalid value at `\(path(context.codingPath))`")
        } catch {
            throw SyncServiceError.badRequest("the request body is not valid JSON")
        }
    }

    /// `buckets[0].after` for a coding path.
    static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text
    }

    static func json(status: Int, _ body: ServiceErrorBody) -> Response {
        var writer = JSONWriter()
        body.write(to: &writer)
        return json(status: status, bytes: writer.bytes)
    }

    static func json(status: Int, bytes: [UInt8]) -> Response {
        Response(
            status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// Counters shared by every connection.
final class SyncCounters: Sendable {
    /// Response bytes handed to clients' sockets (a write returns once the socket takes it: backpressure).
    let bytesSent = Atomic<Int>(0)
}
