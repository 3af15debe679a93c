/// Builds JSON text as UTF-8 bytes: many small appends cost a byte copy each instead of a `String` append.
public struct JSONTextWriter: Sendable {
    /// The text so far.
    public private(set) var bytes: [UInt8] = []

    /// Creates an empty writer with room for `capacity` bytes.
    public init(capacity: Int = 128) {
        bytes.reserveCapacity(capacity)
    }

    /// The text written.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Appends JSON punctuation or any text that needs no escaping (numbers, `null`).
    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends computed text that needs no escaping (a number).
    public mutating func unescaped(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// Appends `text` as a quoted JSON string literal, escaped as `JSONString` does.
    public mutating func quoted(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var start = 0
            var index = Self.nextEscape(in: utf8, from: 0)
            while index < utf8.count {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                bytes.append(contentsOf: JSONString.escape(utf8[index]).utf8)
                start = index + 1
                index = Self.nextEscape(in: utf8, from: start)
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// The index of the first byte at or after `start` that JSON escapes (below 0x20, `"` or `\\`), else the count.
    // Eight bytes at a time (SWAR "has zero"/"has less than" tests, exact as yes/no for a word; the byte is then
    // found one by one): row data is escaped on every replicated row and nearly never needs it.
    static func nextEscape(in utf8: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard let base = utf8.baseAddress else { return utf8.count }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var index = start
        while index + 8 <= utf8.count {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            let control = (word &- ones &* 0x20) & ~word & highs
            let quote = word ^ (ones &* UInt64(UInt8(ascii: "\"")))
            let backslash = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
            let special = control | ((quote &- ones) & ~quote & highs) | ((backslash &- ones) & ~backslash & highs)
            if special != 0 { break }
            index += 8
        }
        while index < utf8.count {
            let byte = utf8[index]
            if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return index }
            index += 1
        }
        return utf8.count
    }
}
