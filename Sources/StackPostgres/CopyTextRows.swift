import Logging
import NIOCore
import PostgresNIO
import StackCore

/// Rows in the text format of `COPY … FROM STDIN`, appended into one buffer: tab between fields, newline after
/// each row, `\N` for NULL, and backslash, tab, newline and carriage return escaped inside values.
public struct CopyTextRows: Sendable {
    // A plain byte array: appending to it is a bounds check and a copy, where a NIO `ByteBuffer` write also checks
    // its storage for uniqueness and capacity through several calls (a third of the encoding time of a snapshot).
    private var bytes: [UInt8]
    /// Complete rows appended.
    public private(set) var count = 0
    private var fieldsInRow = 0

    /// Creates an empty set of rows with room for about `capacity` bytes.
    public init(capacity: Int = 64 * 1024) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// The encoded rows.
    public var buffer: ByteBuffer {
        ByteBuffer(bytes: bytes)
    }

    /// Appends a text field.
    public mutating func append(_ text: String) {
        separate()
        var text = text
        text.withUTF8 { field in
            var start = 0
            var index = Self.nextSpecial(in: field, from: 0)
            while index < field.count {
                let escaped: UInt8
                switch field[index] {
                case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
                case UInt8(ascii: "\t"): escaped = UInt8(ascii: "t")
                case UInt8(ascii: "\n"): escaped = UInt8(ascii: "n")
                case UInt8(ascii: "\r"): escaped = UInt8(ascii: "r")
                default:
                    // Other control bytes go in as they are.
                    index = Self.nextSpecial(in: field, from: index + 1)
                    continue
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: field[start..<index]))
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(escaped)
                start = index + 1
                index = Self.nextSpecial(in: field, from: start)
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: field[start...]))
        }
    }

    /// Appends a text field, or NULL for nil.
    public mutating func append(_ text: String?) {
        if let text { append(text) } else { appendNull() }
    }

    /// Appends an integer field.
    public mutating func append(_ value: Int64) {
        separate()
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        // At most 20 digits, written backwards into a fixed buffer.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var index = 20
            repeat {
                index -= 1
                digits[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[index...]))
        }
    }

    /// Appends an integer field.
    public mutating func append(_ value: Int) {
        append(Int64(value))
    }

    /// Appends a NULL field.
    public mutating func appendNull() {
        separate()
        bytes.append(UInt8(ascii: "\\"))
        bytes.append(UInt8(ascii: "N"))
    }

    /// Ends the current row.
    public mutating func endRow() {
        bytes.append(UInt8(ascii: "\n"))
        fieldsInRow = 0
        count += 1
    }

    // The next byte at or after `start` below 0x20 (tab, newline and return among them) or a backslash.
    private static func nextSpecial(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        ByteScan.firstControl(orEither: UInt8(ascii: "\\"), UInt8(ascii: "\\"), in: bytes, from: start)
    }

    private mutating func separate() {
        if fieldsInRow > 0 { bytes.append(UInt8(ascii: "\t")) }
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
