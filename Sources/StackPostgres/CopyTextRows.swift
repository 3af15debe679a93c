import Logging
import NIOCore
import PostgresNIO

/// Rows in the text format of `COPY … FROM STDIN`, appended into one buffer: tab between fields, newline after
/// each row, `\N` for NULL, and backslash, tab, newline and carriage return escaped inside values.
public struct CopyTextRows: Sendable {
    /// The encoded rows.
    public private(set) var buffer: ByteBuffer
    /// Complete rows appended.
    public private(set) var count = 0
    private var fieldsInRow = 0

    /// Creates an empty set of rows with room for about `capacity` bytes.
    public init(capacity: Int = 64 * 1024) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    /// Appends a text field.
    public mutating func append(_ text: String) {
        separate()
        var text = text
        text.withUTF8 { bytes in
            if !Self.needsEscaping(bytes) {
                buffer.writeBytes(UnsafeRawBufferPointer(bytes))
                return
            }
            var start = 0
            for index in bytes.indices {
                let escaped: UInt8
                switch bytes[index] {
                case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
                case UInt8(ascii: "\t"): escaped = UInt8(ascii: "t")
                case UInt8(ascii: "\n"): escaped = UInt8(ascii: "n")
                case UInt8(ascii: "\r"): escaped = UInt8(ascii: "r")
                default: continue
                }
                buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start..<index])))
                buffer.writeInteger(UInt8(ascii: "\\"))
                buffer.writeInteger(escaped)
                start = index + 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start...])))
        }
    }

    /// Appends a text field, or NULL for nil.
    public mutating func append(_ text: String?) {
        if let text { append(text) } else { appendNull() }
    }

    /// Appends an integer field.
    public mutating func append(_ value: Int64) {
        separate()
        buffer.writeString(String(value))
    }

    /// Appends an integer field.
    public mutating func append(_ value: Int) {
        append(Int64(value))
    }

    /// Appends a NULL field.
    public mutating func appendNull() {
        separate()
        buffer.writeStaticString("\\N")
    }

    /// Ends the current row.
    public mutating func endRow() {
        buffer.writeInteger(UInt8(ascii: "\n"))
        fieldsInRow = 0
        count += 1
    }

    // Eight bytes at a time: a byte below 0x20 (tab, newline, return) or a backslash (SWAR "has less than" and
    // "has zero" tests, exact as yes/no answers). Nearly every value has none and is copied as it is.
    private static func needsEscaping(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var index = 0
        while index + 8 <= bytes.count {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            let control = (word &- ones &* 0x20) & ~word & highs
            let flipped = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
            let backslash = (flipped &- ones) & ~flipped & highs
            if control | backslash != 0 { return true }
            index += 8
        }
        while index < bytes.count {
            if bytes[index] < 0x20 || bytes[index] == UInt8(ascii: "\\") { return true }
            index += 1
        }
        return false
    }

    private mutating func separate() {
        if fieldsInRow > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
        fieldsInRow += 1
    }
}

extension PostgresConnection {
    /// `COPY table (columns) FROM STDIN` of `rows`; `table` is unqualified (resolved through the `search_path`) and
    /// must come from code, never from input. Refused at once on a closed connection (see `queryIfOpen`).
    ///
    /// PostgresNIO 1.33 traps (`preconditionFailure`) when copy data, CopyDone or CopyFail reaches a connection that
    /// closed after the COPY started: a Postgres restart in the middle of a COPY crashed the process in a test run.
    /// The COPY therefore runs on the connection's event loop, where the closed check and the hand-over of the data
    /// happen in one turn of the loop, with no I/O event in between; what is left is the turn between the data and
    /// CopyDone, which no caller of PostgresNIO can close.
    public func copy(_ rows: CopyTextRows, into table: String, columns: [String], logger: Logger) async throws {
        if isClosed { throw PostgresConnectionClosed() }
        try await withTaskExecutorPreference(EventLoopTaskExecutor(eventLoop)) {
            try await copyFrom(table: table, columns: columns, logger: logger) { writer in
                if self.isClosed { throw PostgresConnectionClosed() }
                try await writer.write(rows.buffer)
            }
        }
    }
}

/// Runs a task's nonisolated code on a NIO event loop.
final class EventLoopTaskExecutor: TaskExecutor {
    private let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
