import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import StackCore
import StackProtocol
import StackTesting

/// HS256 tokens signed with the static test key of `SyncFixture.yaml` (the sync service's `jwks.keys`).
enum TestTokens {
    static let kid = "test-hs"
    static let secret = Array("sync-test-secret-0123456789abcdef".utf8)
    static let secretBase64URL = base64URL(secret)

    static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// A token for `sub`; `claims` override or add payload members (JSON literals).
    static func make(
        sub: String?, audience: String, lifetime: Int = 300, issuedAgo: Int = 0, claims: [String: String] = [:],
        header: String? = nil, key: [UInt8] = secret
    ) -> String {
        let now = Int(Date().timeIntervalSince1970)
        var members: [String: String] = [
            "iat": "\(now - issuedAgo)", "exp": "\(now - issuedAgo + lifetime)", "aud": "\"\(audience)\"",
        ]
        if let sub { members["sub"] = "\"\(sub)\"" }
        for (name, value) in claims { members[name] = value }
        let payload =
            "{" + members.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
        let head = header ?? #"{"alg":"HS256","kid":"\#(kid)","typ":"JWT"}"#
        let signingInput = base64URL(Array(head.utf8)) + "." + base64URL(Array(payload.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: SymmetricKey(data: key))
        return signingInput + "." + base64URL(Array(mac))
    }
}

/// A line received on a sync stream, with when it arrived.
struct ReceivedLine: Sendable {
    let line: SyncLine
    let text: String
    let at: ContinuousClock.Instant
}

/// A `POST /sync/stream` connection read line by line over a real socket.
final class SyncStreamConnection: @unchecked Sendable {
    let status: Int
    let headers: HTTPHeaders
    /// The error body when the status is not 200.
    let errorBody: String?
    private let lock = NSLock()
    private var received: [ReceivedLine] = []
    private var ended = false
    private var failure: String?
    private var reader: Task<Void, Never>?
    private var consumed = 0
    private var paused = false

    private init(status: Int, headers: HTTPHeaders, errorBody: String?) {
        self.status = status
        self.headers = headers
        self.errorBody = errorBody
    }

    static func open(
        _ syncURL: String, token: String?, request: StreamingSyncRequest = StreamingSyncRequest(clientID: "client-1"),
        scheme: String = "Token"
    ) async throws -> SyncStreamConnection {
        var http = HTTPClientRequest(url: syncURL + "/sync/stream")
        http.method = .POST
        http.headers.add(name: "Content-Type", value: "application/json")
        if let token { http.headers.add(name: "Authorization", value: "\(scheme) \(token)") }
        var writer = JSONWriter()
        request.write(to: &writer)
        http.body = .bytes(ByteBuffer(bytes: writer.bytes))
        let response = try await HTTPClient.shared.execute(http, timeout: .seconds(3600))
        guard response.status == .ok else {
            let body = try await response.body.collect(upTo: 1 << 20)
            return SyncStreamConnection(
                status: Int(response.status.code), headers: response.headers, errorBody: String(buffer: body))
        }
        let connection = SyncStreamConnection(status: 200, headers: response.headers, errorBody: nil)
        connection.reader = Task {
            var splitter = NDJSONSplitter()
            do {
                for try await chunk in response.body {
                    // While paused nothing more is pulled, so the HTTP client stops reading the socket.
                    while connection.lock.withLock({ connection.paused }) { try await Task.sleep(for: .milliseconds(10)) }
                    let lines = try splitter.push(chunk.readableBytesView)
                    let now = ContinuousClock.now
                    let parsed = try lines.map {
                        ReceivedLine(line: try SyncLine.decode($0), text: String(decoding: $0, as: UTF8.self), at: now)
                    }
                    connection.lock.withLock { connection.received += parsed }
                }
                connection.lock.withLock { connection.ended = true }
            } catch {
                connection.lock.withLock {
                    connection.ended = true
                    connection.failure = "\(error)"
                }
            }
        }
        return connection
    }

    /// True once the server ended the stream (or it failed).
    var hasEnded: Bool { lock.withLock { ended } }

    /// Every line so far.
    var all: [ReceivedLine] { lock.withLock { received } }

    /// The next unread line, waiting up to `timeout`; nil if the stream ended.
    func next(timeout: Duration = .seconds(30)) async throws -> ReceivedLine? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (line, done): (ReceivedLine?, Bool) = lock.withLock {
                if consumed < received.count {
                    consumed += 1
                    return (received[consumed - 1], false)
                }
                return (nil, ended)
            }
            if let line { return line }
            if done { return nil }
            if ContinuousClock.now > deadline { throw SyncTestError("no sync line within \(timeout)") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Unread lines up to and including the first one matching `stop` (keepalives skipped unless asked).
    func read(
        until stop: (SyncLine) -> Bool, timeout: Duration = .seconds(30), keepalives: Bool = false
    ) async throws -> [ReceivedLine] {
        var lines: [ReceivedLine] = []
        while let line = try await next(timeout: timeout) {
            if case .tokenExpiresIn = line.line, !keepalives {
                if stop(line.line) { return lines + [line] } else { continue }
            }
            lines.append(line)
            if stop(line.line) { return lines }
        }
        throw SyncTestError("the stream ended before the expected line; got \(lines.map(\.text))")
    }

    /// Lines up to the next `checkpoint_complete`.
    func untilComplete(timeout: Duration = .seconds(30)) async throws -> [ReceivedLine] {
        try await read(until: { if case .checkpointComplete = $0 { true } else { false } }, timeout: timeout)
    }

    /// Stops (true) or resumes (false) reading the response, like a client that cannot keep up.
    func setPaused(_ value: Bool) {
        lock.withLock { paused = value }
    }

    /// Closes the connection from the client side.
    func close() {
        reader?.cancel()
    }
}

struct SyncTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What a client holds after applying lines: per-bucket ops and positions, checked like the client core does.
struct ClientModel {
    struct Stored: Equatable { var checksum: UInt32; var data: String? }
    var oplog: [String: [String: Stored]] = [:]  // bucket → key (type/id/subkey) → op
    var addChecksum: [String: UInt32] = [:]
    var positions: [String: OpID] = [:]
    var expected: [String: (checksum: UInt32, count: Int64)] = [:]
    var seenOpIDs: [String: Set<OpID>] = [:]
    var duplicates: [String] = []

    mutating func apply(_ line: SyncLine) {
        switch line {
        case .checkpoint(let checkpoint):
            expected = Dictionary(
                uniqueKeysWithValues: checkpoint.buckets.map { ($0.bucket, ($0.checksum.value, $0.count)) })
            for bucket in Array(oplog.keys) where expected[bucket] == nil { drop(bucket) }
        case .checkpointDiff(let diff):
            for bucket in diff.updatedBuckets { expected[bucket.bucket] = (bucket.checksum.value, bucket.count) }
            for name in diff.removedBuckets {
                expected[name] = nil
                drop(name)
            }
        case .data(let batch):
            for op in batch.data {
                if !seenOpIDs[batch.bucket, default: []].insert(op.opID).inserted {
                    duplicates.append("\(batch.bucket) op \(op.opID)")
                }
                let key = "\(op.objectType ?? "")/\(op.objectID ?? "")/\(op.subkey ?? "null")"
                switch op.op {
                case .put, .remove:
                    if let old = oplog[batch.bucket]?.removeValue(forKey: key) {
                        addChecksum[batch.bucket, default: 0] &+= old.checksum
                    }
                    if op.op == .put {
                        oplog[batch.bucket, default: [:]][key] = Stored(checksum: op.checksum.value, data: op.data)
                    } else {
                        addChecksum[batch.bucket, default: 0] &+= op.checksum.value
                    }
                case .move: addChecksum[batch.bucket, default: 0] &+= op.checksum.value
                case .clear:
                    oplog[batch.bucket] = [:]
                    addChecksum[batch.bucket] = op.checksum.value
                }
                positions[batch.bucket] = op.opID
            }
        default: break
        }
    }

    mutating func drop(_ bucket: String) {
        oplog[bucket] = nil
        addChecksum[bucket] = nil
        positions[bucket] = nil
        seenOpIDs[bucket] = nil
    }

    /// Buckets whose sum of received op checksums differs from the checkpoint's.
    var mismatches: [String] {
        expected.compactMap { bucket, want in
            let ops = (oplog[bucket] ?? [:]).values.reduce(UInt32(0)) { $0 &+ $1.checksum }
            return ops &+ (addChecksum[bucket] ?? 0) == want.checksum ? nil : bucket
        }.sorted()
    }

    /// The rows of a bucket (object id → data).
    func rows(_ bucket: String) -> [String: String] {
        var result: [String: String] = [:]
        for (key, op) in oplog[bucket] ?? [:] {
            let id = key.split(separator: "/", omittingEmptySubsequences: false)[1]
            result[String(id)] = op.data
        }
        return result
    }

    /// Request positions to resume from.
    var request: [BucketRequest] {
        positions.sorted { $0.key < $1.key }.map { BucketRequest(name: $0.key, after: $0.value) }
    }
}

/// The op checksum recomputed here, independently of the server's code (PROTOCOL §2.1).
func independentChecksum(_ op: OplogEntry) -> UInt32? {
    let text: String
    switch op.op {
    case .put: text = "put.\(op.objectType ?? "").\(op.objectID ?? "").\(op.data ?? "")"
    case .remove: text = "delete.\(op.subkey ?? "")"
    default: return nil
    }
    let digest = Array(SHA256.hash(data: Array(text.utf8)))
    return UInt32(digest[0]) | UInt32(digest[1]) << 8 | UInt32(digest[2]) << 16 | UInt32(digest[3]) << 24
}
