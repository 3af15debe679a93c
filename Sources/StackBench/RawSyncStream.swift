import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A `/sync/stream` read as raw NDJSON bytes: lines are split and handed over without JSON decoding, so the
/// client side costs next to nothing in the measurement.
struct RawSyncStream {
    /// One complete line (without the newline) and when its last byte arrived.
    typealias LineHandler = (_ line: ArraySlice<UInt8>, _ at: ContinuousClock.Instant) -> Bool

    /// Opens a stream and calls `onLine` for each line until it returns false or the stream ends; returns bytes read.
    static func read(
        client: HTTPClient, syncURL: String, token: String, body: String = #"{"client_id":"bench","raw_data":true}"#,
        onLine: LineHandler
    ) async throws -> Int {
        var request = HTTPClientRequest(url: syncURL + "/sync/stream")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: "Token " + token)
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .hours(2))
        guard response.status == .ok else {
            let text = String(buffer: try await response.body.collect(upTo: 1 << 16))
            throw BenchError("sync stream refused: \(response.status.code) \(text)")
        }
        var pending: [UInt8] = []
        var total = 0
        for try await chunk in response.body {
            let now = ContinuousClock.now
            total += chunk.readableBytes
            let bytes = chunk.readableBytesView
            var start = bytes.startIndex
            while let newline = bytes[start...].firstIndex(of: 0x0A) {
                let keepGoing: Bool
                if pending.isEmpty {
                    keepGoing = onLine(ArraySlice(bytes[start..<newline]), now)
                } else {
                    pending += bytes[start..<newline]
                    keepGoing = onLine(pending[...], now)
                    pending.removeAll(keepingCapacity: true)
                }
                if !keepGoing { return total }
                start = bytes.index(after: newline)
            }
            pending += bytes[start...]
        }
        return total
    }

    /// True when `line` starts with `{"<key>"`.
    static func isLine(_ line: ArraySlice<UInt8>, key: String) -> Bool {
        let prefix = Array("{\"\(key)\"".utf8)
        return line.count >= prefix.count && line.prefix(prefix.count).elementsEqual(prefix)
    }

    /// Occurrences of `pattern` in `line`.
    static func count(_ pattern: [UInt8], in line: ArraySlice<UInt8>) -> Int {
        guard let first = pattern.first else { return 0 }
        var found = 0
        var index = line.startIndex
        while let hit = line[index...].firstIndex(of: first) {
            if line[hit...].starts(with: pattern) {
                found += 1
                index = hit + pattern.count
            } else {
                index = hit + 1
            }
        }
        return found
    }
}

/// A bench failure.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
