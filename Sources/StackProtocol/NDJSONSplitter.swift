import Foundation

/// Splits a byte stream into newline-terminated lines, across arbitrary chunk boundaries.
///
/// Empty lines are skipped and a trailing `\r` is dropped. A line longer than `maxLineBytes` is an error,
/// so a peer that never sends a newline cannot grow the buffer without bound.
public struct NDJSONSplitter: Sendable {
    /// The longest line accepted.
    public let maxLineBytes: Int
    // Bytes of the current, unterminated line.
    private var pending: [UInt8] = []

    /// Creates a splitter (default limit 64 MiB; PowerSync rows may be up to 15 MB).
    public init(maxLineBytes: Int = 64 << 20) {
        self.maxLineBytes = maxLineBytes
    }

    /// Bytes held for an unfinished line.
    public var bufferedByteCount: Int { pending.count }

    /// Adds a chunk and returns every line it completes (without the newline).
    public mutating func push(_ chunk: some Collection<UInt8>) throws(ProtocolError) -> [[UInt8]] {
        // Scanned in place when the chunk is contiguous (a NIO ByteBufferView is), else after one copy: indexing a
        // generic collection byte by byte cost tens of seconds per 30 MB download in debug builds.
        let scanned = chunk.withContiguousStorageIfAvailable { buffer in scan(buffer) }
        return try (scanned ?? Array(chunk).withUnsafeBufferPointer { buffer in scan(buffer) }).get()
    }

    private mutating func scan(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<[[UInt8]], ProtocolError> {
        Result { () throws(ProtocolError) in try split(buffer) }
    }

    // Newlines are found with memchr (vectorised), not byte by byte.
    private mutating func split(_ buffer: UnsafeBufferPointer<UInt8>) throws(ProtocolError) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        guard let base = buffer.baseAddress else { return lines }
        var start = 0
        while start < buffer.count, let found = memchr(base + start, Int32(UInt8(ascii: "\n")), buffer.count - start) {
            let index = start + UnsafeRawPointer(base + start).distance(to: UnsafeRawPointer(found))
            pending.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<index]))
            try emit(into: &lines)
            start = index + 1
        }
        pending.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start...]))
        guard pending.count <= maxLineBytes else {
            throw ProtocolError.lineTooLong(limit: maxLineBytes)
        }
        return lines
    }

    /// Ends the stream: returns a final line that lacked its newline, if any.
    public mutating func finish() throws(ProtocolError) -> [UInt8]? {
        var lines: [[UInt8]] = []
        try emit(into: &lines)
        return lines.first
    }

    private mutating func emit(into lines: inout [[UInt8]]) throws(ProtocolError) {
        if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
        guard pending.count <= maxLineBytes else { throw ProtocolError.lineTooLong(limit: maxLineBytes) }
        if !pending.isEmpty { lines.append(pending) }
        pending.removeAll(keepingCapacity: true)
    }
}

/// Decodes sync lines from a byte stream delivered in arbitrary chunks.
public struct SyncLineReader: Sendable {
    private var splitter: NDJSONSplitter

    /// Creates a reader.
    public init(maxLineBytes: Int = 64 << 20) {
        splitter = NDJSONSplitter(maxLineBytes: maxLineBytes)
    }

    /// Adds a chunk and returns the lines it completes, decoded.
    public mutating func push(_ chunk: some Collection<UInt8>) throws(ProtocolError) -> [SyncLine] {
        try splitter.push(chunk).map { line throws(ProtocolError) in try Self.decode(line) }
    }

    /// Ends the stream: decodes a last line that lacked its newline, if any.
    public mutating func finish() throws(ProtocolError) -> SyncLine? {
        guard let line = try splitter.finish() else { return nil }
        return try Self.decode(line)
    }

    static func decode(_ line: [UInt8]) throws(ProtocolError) -> SyncLine {
        do {
            return try SyncLine.decode(line)
        } catch {
            throw ProtocolError.malformedLine(
                detail: String(describing: error), prefix: String(decoding: line.prefix(80), as: UTF8.self))
        }
    }
}
