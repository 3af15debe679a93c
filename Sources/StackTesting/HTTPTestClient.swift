import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Plain HTTP over real loopback sockets for integration tests.
public enum HTTPTestClient {
    /// A finished response.
    public struct Response: Sendable {
        /// Status code.
        public let status: Int
        /// Headers (names lower-cased).
        public let headers: [(String, String)]
        /// Body bytes.
        public let body: Data

        /// The body as UTF-8 text.
        public var text: String { String(decoding: body, as: UTF8.self) }

        /// The first value of a header.
        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }

        /// The body parsed as a JSON object.
        public func json() throws -> [String: Any] {
            (try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) as? [String: Any]) ?? [:]
        }
    }

    /// How long one request may take. Generous on purpose: every test stack of the process shares one two-thread
    /// pool for scrypt and key generation, and with the whole suite running in parallel on two cores a sign-up can
    /// wait in that queue for tens of seconds (a lone stack answers in well under a second). A CI run on a slow host
    /// had a 10,000-op upload still waiting at 120 s; a hung request still fails, after 240 s.
    public static let timeout: Duration = .seconds(240)

    /// Sends one request and collects the whole response (up to 16 MiB).
    public static func send(
        _ method: String, _ url: String, headers: [(String, String)] = [], body: Data? = nil
    ) async throws -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        return try await execute(request)
    }

    /// Sends one request whose body goes out in `chunks` with `Transfer-Encoding: chunked` (no `Content-Length`).
    public static func sendChunked(
        _ method: String, _ url: String, headers: [(String, String)] = [], chunks: [Data]
    ) async throws -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .stream(chunks.map { ByteBuffer(bytes: $0) }.async, length: .unknown)
        return try await execute(request)
    }

    private static func execute(_ request: HTTPClientRequest) async throws -> Response {
        let response = try await HTTPClient.shared.execute(
            request, timeout: .seconds(Int64(timeout.components.seconds)))
        let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return Response(
            status: Int(response.status.code), headers: response.headers.map { ($0.name.lowercased(), $0.value) },
            body: Data(buffer: bytes))
    }
}

extension Array where Element: Sendable {
    /// The elements as an async sequence, one by one.
    fileprivate var async: AsyncStream<Element> {
        AsyncStream { continuation in
            for element in self { continuation.yield(element) }
            continuation.finish()
        }
    }
}
