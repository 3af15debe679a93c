/// Finds where the plain part of a JSON string ends: the first `"`, `\` or control character (the bytes a JSON
/// string must escape, and the one that ends it).
///
/// Eight bytes at a time (the bit tricks of "Bit Twiddling Hacks": a word has a zero byte when
/// `(x - 0x01…01) & ~x & 0x80…80` is non-zero). A flag can be spurious only above a real match of the same test,
/// so the lowest flagged byte is exactly the first special byte. Both the writer (escaping) and the line decoder
/// (unescaping) spend most of their time in this scan: a row's JSON is mostly long plain runs.
enum JSONStringScan {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The index of the first special byte at or after `start`, or `bytes.count`.
    static func firstSpecial(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard let base = bytes.baseAddress else { return bytes.count }
        var index = start
        while index + 8 <= bytes.count {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
            let quotes = word ^ (ones &* 0x22)
            let backslashes = word ^ (ones &* 0x5C)
            let flags =
                ((quotes &- ones) & ~quotes | (backslashes &- ones) & ~backslashes | (word &- ones &* 0x20) & ~word)
                & highs
            if flags != 0 { return index + flags.trailingZeroBitCount / 8 }
            index += 8
        }
        while index < bytes.count, !isSpecial(base[index]) { index += 1 }
        return index
    }

    /// Whether `byte` must be escaped in a JSON string (or ends it).
    static func isSpecial(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }
}
