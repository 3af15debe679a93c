/// Finds the bytes a text encoder must escape, eight bytes at a time: nearly every value has none, and is then copied
/// as it is.
public enum ByteScan {
    /// The index of the first byte at or after `start` that is below 0x20 or equal to `special` or `other`, else
    /// `bytes.count`.
    ///
    /// Whole words are tested with the SWAR "has less than" and "has zero byte" tricks, exact as yes/no answers for a
    /// word (not for the position within it); the byte is then found one at a time.
    @inlinable
    public static func firstControl(
        orEither special: UInt8, _ other: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from start: Int
    ) -> Int {
        guard let base = bytes.baseAddress else { return bytes.count }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var index = start
        while index + 8 <= bytes.count {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            let control = (word &- ones &* 0x20) & ~word & highs
            let first = word ^ (ones &* UInt64(special))
            let second = word ^ (ones &* UInt64(other))
            if control | ((first &- ones) & ~first & highs) | ((second &- ones) & ~second & highs) != 0 { break }
            index += 8
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x20 || byte == special || byte == other { return index }
            index += 1
        }
        return bytes.count
    }
}
