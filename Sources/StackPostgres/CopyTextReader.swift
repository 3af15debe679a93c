/// Reads rows in the text format of `COPY … TO STDOUT` (what `CopyTextRows` writes): tab between fields, newline
/// after each row, `\N` for NULL, and backslash escapes inside values.
public struct CopyTextReader: Sendable {
    /// A malformed row: its number (from 1) and what is wrong.
    public struct Malformed: Error, Sendable, CustomStringConvertible {
        /// The row, counted from 1.
        public let row: Int
        /// What is wrong with it.
        public let reason: String

        public var description: String { "COPY row \(row): \(reason)" }
    }

    private let bytes: [UInt8]

    /// Reads `bytes`, a whole number of rows.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Calls `body` with each row's fields (nil for NULL); every row must have `columns` fields. The array passed
    /// to `body` is reused from row to row.
    public func forEachRow(columns: Int, _ body: ([String?]) throws -> Void) throws {
        var fields: [String?] = []
        fields.reserveCapacity(columns)
        var row = 0
        try bytes.withUnsafeBufferPointer { buffer in
            let count = buffer.count
            var start = 0
            while start < count {
                row += 1
                fields.removeAll(keepingCapacity: true)
                var position = start
                while true {
                    let (field, end) = Self.field(buffer, from: position)
                    fields.append(field)
                    guard end < count else {
                        throw Malformed(row: row, reason: "the data ends inside the row")
                    }
                    position = end + 1
                    if buffer[end] == UInt8(ascii: "\n") { break }
                }
                guard fields.count == columns else {
                    throw Malformed(row: row, reason: "\(fields.count) fields, expected \(columns)")
                }
                try body(fields)
                start = position
            }
        }
    }

    /// The field starting at `from` and the index of the tab or newline that ends it (or the end of the data).
    private static func field(_ buffer: UnsafeBufferPointer<UInt8>, from: Int) -> (String?, Int) {
        let count = buffer.count
        var end = from
        var escaped = false
        while end < count {
            let byte = buffer[end]
            if byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") { break }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                end += 1  // the escaped byte is never a separator
            }
            end += 1
        }
        end = min(end, count)
        if !escaped {
            return (String(decoding: UnsafeBufferPointer(rebasing: buffer[from..<end]), as: UTF8.self), end)
        }
        if end - from == 2 && buffer[from + 1] == UInt8(ascii: "N") { return (nil, end) }
        return (unescape(UnsafeBufferPointer(rebasing: buffer[from..<end])), end)
    }

    /// Undoes COPY's escapes: `\b \f \n \r \t \v \\`, octal `\ooo` and hex `\xhh`; any other escaped byte is
    /// itself.
    private static func unescape(_ raw: UnsafeBufferPointer<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            index += 1
            guard byte == UInt8(ascii: "\\"), index < raw.count else {
                out.append(byte)
                continue
            }
            let next = raw[index]
            index += 1
            switch next {
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "v"): out.append(11)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var value = Int(next - UInt8(ascii: "0"))
                var digits = 1
                while digits < 3, index < raw.count, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(raw[index]) {
                    value = value * 8 + Int(raw[index] - UInt8(ascii: "0"))
                    index += 1
                    digits += 1
                }
                out.append(UInt8(truncatingIfNeeded: value))
            case UInt8(ascii: "x") where index < raw.count && hexValue(raw[index]) != nil:
                var value = hexValue(raw[index])!
                index += 1
                if index < raw.count, let low = hexValue(raw[index]) {
                    value = value * 16 + low
                    index += 1
                }
                out.append(value)
            default:
                out.append(next)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
