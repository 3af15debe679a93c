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
            var index = ByteScan.firstControl(orEither: UInt8(ascii: "\""), UInt8(ascii: "\\"), in: utf8, from: 0)
            while index < utf8.count {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                bytes.append(contentsOf: JSONString.escape(utf8[index]).utf8)
                start = index + 1
                index = ByteScan.firstControl(orEither: UInt8(ascii: "\""), UInt8(ascii: "\\"), in: utf8, from: start)
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
