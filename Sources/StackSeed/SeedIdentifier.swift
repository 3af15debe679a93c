import Crypto
import Foundation

/// Deterministic ids and randomness: the same sample data always yields the same rows.
enum SeedIdentifier {
    /// A UUID (RFC 9562 version 8, name-based on SHA-256) for `name`, e.g. `ada@example.com/documents/letters/7`.
    static func uuid(_ name: String) -> String {
        var bytes = Array(SHA256.hash(data: Data(("stack-seed:" + name).utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
        let characters = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }

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
