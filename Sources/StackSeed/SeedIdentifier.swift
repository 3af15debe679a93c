import Crypto
import Foundation

/// Deterministic ids and randomness: the same sample data always yields the same rows.
enum SeedIdentifier {
    /// A UUID (RFC 9562 version 8, name-based on SHA-256) for `name`, e.g. `ada@example.com/documents/letters/7`.
    static func uuid(_ name: String) -> String {
        let digest = SHA256.hash(data: Data(("stack-seed:" + name).utf8))
        var bytes = [UInt8](repeating: 0, count: 16)
        for (index, byte) in digest.prefix(16).enumerated() { bytes[index] = byte }
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        var text = [UInt8]()
        text.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// A seed for `SeedRandom` derived from `name`.
    static func seed(_ name: String) -> UInt64 {
        let digest = SHA256.hash(data: Data(("stack-seed-random:" + name).utf8))
        return digest.prefix(8).reduce(0) { ($0 << 8) | UInt64($1) }
    }
}

/// SplitMix64: a tiny deterministic generator (the system one is seeded randomly).
struct SeedRandom: RandomNumberGenerator {
    private var state: UInt64

    /// A generator for `name` (same name, same sequence).
    init(_ name: String) {
        state = SeedIdentifier.seed(name)
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
}
