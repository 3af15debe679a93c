import StackFuzzing
import StackPGOutput
import Testing

/// Feeds random, truncated and mutated inputs to the decoders: they must throw or succeed, never crash.
@Suite struct DecoderFuzzTests {
    /// A small deterministic generator (SplitMix64) so failures reproduce.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func everyStrictPrefixOfARealMessageThrows() async throws {
        try await onOwnThread {
            var checked = 0
            for name in Fixture.names {
                for row in try Fixture.rows(name) {
                    for length in 0..<row.bytes.count {
                        #expect(throws: PGOutputError.self) { try PGOutputDecoder.decode(Array(row.bytes[0..<length])) }
                        checked += 1
                    }
                    #expect(throws: PGOutputError.self) { try PGOutputDecoder.decode(row.bytes + [0]) }
                }
            }
            #expect(checked > 10_000)
            print("fuzz: \(checked) truncated fixture messages all rejected")
        }
    }

    @Test func randomAndMutatedInputsNeverCrash() async throws {
        try await onOwnThread {
            var random = SplitMix(state: 0x5EED)
            let seeds = try Fixture.names.flatMap { try Fixture.rows($0) }.map(\.bytes)
            let typeBytes = Array("BCORYIUDTMwkx".utf8)
            var decoded = 0
            var rejected = 0
            let total = 20_000
            for iteration in 0..<total {
                var input: [UInt8]
                switch iteration % 3 {
                case 0:
                    // Pure noise behind a plausible type byte.
                    let length = Int.random(in: 0..<64, using: &random)
                    input =
                        [typeBytes.randomElement(using: &random)!]
                        + (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
                case 1:
                    // A real message with a few bytes flipped (counts and lengths become huge or negative).
                    input = seeds.randomElement(using: &random)!
                    for _ in 0..<Int.random(in: 1...4, using: &random) {
                        input[Int.random(in: 0..<input.count, using: &random)] = UInt8.random(
                            in: 0...255, using: &random)
                    }
                default:
                    // A real message cut short or padded.
                    let seed = seeds.randomElement(using: &random)!
                    input = Array(seed.prefix(Int.random(in: 0...seed.count, using: &random)))
                    if Bool.random(using: &random) { input += [UInt8.random(in: 0...255, using: &random)] }
                }
                do {
                    _ = try PGOutputDecoder.decode(input)
                    decoded += 1
                } catch let error as PGOutputError {
                    #expect(error.code.hasPrefix("STACK-R00"))
                    #expect(!error.message.isEmpty)
                    rejected += 1
                }
                do {
                    _ = try ReplicationMessage.decode(input)
                } catch is PGOutputError {}
            }
            #expect(decoded + rejected == total)
            #expect(rejected > total / 2)
            print("fuzz: \(total) random/mutated inputs: \(decoded) decoded, \(rejected) rejected with PGOutputError")
        }
    }

    @Test func binaryValuesAreRejectedWithAClearMessage() {
        // Insert into relation 1: one column in binary format.
        let bytes: [UInt8] = [0x49, 0, 0, 0, 1, 0x4E, 0, 1, 0x62, 0, 0, 0, 1, 0x2A]
        #expect {
            try PGOutputDecoder.decode(bytes)
        } throws: { error in
            guard let error = error as? PGOutputError else { return false }
            return error.code == "STACK-R003" && error.message.contains("binary")
        }
    }
}
