import AsyncHTTPClient
import NIOCore
import StackProtocol

/// The lines of an open sync stream, decoded as the body arrives.
public struct SyncLineSequence: AsyncSequence, Sendable {
    /// Lines.
    public typealias Element = SyncLine
    let body: ReadAheadBody
    let url: String

    /// Iterates lines; ends when the server closes the stream.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let body: ReadAheadBody
        let url: String
        var reader = SyncLineReader()
        var buffered: [SyncLine] = []
        var position = 0
        var finished = false

        /// The next line, or nil at the end of the stream.
        public mutating func next() async throws -> SyncLine? {
            while true {
                if position < buffered.count {
                    defer { position += 1 }
                    return buffered[position]
                }
                if finished { return nil }
                let chunks: [ByteBuffer]?
                do {
                    chunks = try await body.next()
                } catch {
                    throw ClientError.network(url: url, detail: StackConnector.describe(error))
                }
                if let chunks {
                    buffered = []
                    for chunk in chunks { buffered += try reader.push(chunk.readableBytesView) }
                } else {
                    finished = true
                    buffered = try reader.finish().map { [$0] } ?? []
                }
                position = 0
            }
        }
    }

    /// Starts iterating.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(body: body, url: url)
    }
}
