import Testing

@testable import StackProtocol

@Suite struct JSONStringScanTests {
    /// The byte-at-a-time definition the word-at-a-time scan must agree with.
    static func naive(_ bytes: [UInt8], from start: Int) -> Int {
        bytes[start...].firstIndex(where: JSONStringScan.isSpecial) ?? bytes.count
    }

    @Test func agreesWithAByteByByteScanForEveryStartAndEveryByteValue() {
        var generator = SystemRandomNumberGenerator()
        // Every byte value as the lone special candidate, at every position of a word and across word boundaries.
        for value in UInt8.min...UInt8.max {
            for position in 0..<20 {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 20)
                bytes[position] = value
                bytes.withUnsafeBufferPointer { buffer in
                    for start in 0...bytes.count {
                        #expect(JSONStringScan.firstSpecial(in: buffer, from: start) == Self.naive(bytes, from: start))
                    }
                }
            }
        }
        // Random mixes of plain, special and non-ASCII bytes (borrows between neighbouring bytes).
        let alphabet: [UInt8] = [0x00, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0xA2, 0xDC, 0xFF]
        for _ in 0..<2000 {
            let count = Int.random(in: 0..<40, using: &generator)
            let bytes = (0..<count).map { _ in alphabet.randomElement(using: &generator)! }
            bytes.withUnsafeBufferPointer { buffer in
                for start in 0...count {
                    #expect(JSONStringScan.firstSpecial(in: buffer, from: start) == Self.naive(bytes, from: start))
                }
            }
        }
    }
}
