/// Byte-level mutations of valid seeds: flips, truncation, duplication, splicing, NUL bytes, invalid UTF-8,
/// huge numbers, deep nesting and very long runs.
public struct ByteMutator: Sendable {
    /// Valid inputs to start from and to splice in.
    public var seeds: [[UInt8]]
    /// Tokens of the input language (`{`, `"op"`, `SELECT`, …) inserted or swapped in.
    public var dictionary: [[UInt8]]

    /// A mutator over `seeds` (at least one) with format tokens `dictionary`.
    public init(seeds: [[UInt8]], dictionary: [String] = []) {
        precondition(!seeds.isEmpty, "a mutator needs a seed")
        self.seeds = seeds
        self.dictionary = dictionary.map { Array($0.utf8) } + Self.hostile
    }

    /// Byte runs that break parsers: huge and odd numbers, invalid UTF-8, NUL, escapes.
    public static let hostile: [[UInt8]] = [
        "99999999999999999999999999", "-9223372036854775809", "9223372036854775808", "1e999", "-1e-999", "NaN",
        "Infinity", "-0", "0x10", "1.", ".5", "\\u0000", "\\ud800", "\\udc00\\ud800", "\\", "\"", "'", "''", "\n",
        "\t", "\r\n", "${", "}", "]", "[", "{", ":", ",", "null", "true", "-", "--", "/*", "*/", ";", "::",
    ].map { Array($0.utf8) } + [[0], [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]]

    /// One random seed, mutated one to four times.
    public func mutant(using random: inout FuzzRandom) -> [UInt8] {
        var bytes = random.pick(seeds)
        for _ in 0..<random.int(1...4) { mutate(&bytes, using: &random) }
        return bytes
    }

    /// Applies one random mutation to `bytes`.
    public func mutate(_ bytes: inout [UInt8], using random: inout FuzzRandom) {
        let position = bytes.isEmpty ? 0 : random.int(0...bytes.count)
        switch random.int(0..<12) {
        case 0 where !bytes.isEmpty:  // flip a bit
            let index = random.int(0..<bytes.count)
            bytes[index] ^= 1 << UInt8(random.int(0..<8))
        case 1 where !bytes.isEmpty:  // a random byte
            bytes[random.int(0..<bytes.count)] = UInt8.random(in: 0...255, using: &random)
        case 2:  // truncate
            bytes = Array(bytes.prefix(position))
        case 3 where !bytes.isEmpty:  // delete a range
            let start = random.int(0..<bytes.count)
            bytes.removeSubrange(start..<min(bytes.count, start + random.int(1...16)))
        case 4 where !bytes.isEmpty:  // duplicate a range
            let start = random.int(0..<bytes.count)
            let piece = bytes[start..<min(bytes.count, start + random.int(1...64))]
            bytes.insert(contentsOf: Array(piece), at: random.int(0...bytes.count))
        case 5:  // splice another seed
            let other = random.pick(seeds)
            let cut = other.isEmpty ? 0 : random.int(0...other.count)
            bytes = Array(bytes.prefix(position)) + Array(other.suffix(from: cut))
        case 6, 7:  // insert a token
            bytes.insert(contentsOf: random.pick(dictionary), at: position)
        case 8 where !bytes.isEmpty:  // replace a range with a token
            let start = random.int(0..<bytes.count)
            let end = min(bytes.count, start + random.int(1...8))
            bytes.replaceSubrange(start..<end, with: random.pick(dictionary))
        case 9:  // a very long run
            let unit = random.chance(50) ? [UInt8(ascii: "a")] : random.pick(dictionary)
            let repeats = random.int(1_000...20_000) / max(unit.count, 1)
            bytes.insert(contentsOf: Array(repeating: unit, count: repeats).joined(), at: position)
        case 10:  // deep nesting
            let depth = random.int(100...3_000)
            let (open, close): (UInt8, UInt8) = random.chance(50) ? (0x5B, 0x5D) : (0x28, 0x29)
            let closing = random.chance(50) ? Array(repeating: close, count: depth) : []
            bytes.insert(contentsOf: Array(repeating: open, count: depth) + closing, at: position)
        default:  // NUL or invalid UTF-8
            bytes.insert(contentsOf: random.pick(Self.hostile.suffix(6)), at: position)
        }
    }
}
