import Foundation
import StackCore
import Testing

@testable import StackProtocol

/// The direct data-line decoder against `JSONDecoder`: same values, or it steps aside.
@Suite struct DataLineDecoderTests {
    /// SplitMix64, so failures reproduce.
    struct Random: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func fast(_ bytes: [UInt8]) -> SyncLine? {
        bytes.withUnsafeBufferPointer { DataLineDecoder.decode($0) }
    }

    static func general(_ bytes: [UInt8]) -> SyncLine? {
        try? JSONDecoder().decode(SyncLine.self, from: Data(bytes))
    }

    static let pieces = [
        "a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "é", "ß", "中文", "😀", "\u{2028}", "{\"k\":1}",
        "\u{FEFF}", "0", "-",
    ]

    static func text(_ random: inout Random) -> String {
        (0..<Int.random(in: 0...12, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
    }

    static func batch(_ random: inout Random) -> SyncDataBatch {
        var opID = Int64.random(in: 0...1_000_000, using: &random)
        let start = opID
        let entries = (0..<Int.random(in: 0...6, using: &random)).map { _ -> OplogEntry in
            opID += Int64.random(in: 1...3, using: &random)
            let checksum = Checksum(UInt32.random(in: 0...UInt32.max, using: &random))
            switch Int.random(in: 0..<4, using: &random) {
            case 0:
                return OplogEntry(
                    opID: OpID(opID), op: .put, objectType: text(&random), objectID: text(&random), data: text(&random),
                    checksum: checksum, subkey: Bool.random(using: &random) ? text(&random) : nil)
            case 1:
                return OplogEntry(
                    opID: OpID(opID), op: .remove, objectType: text(&random), objectID: text(&random),
                    checksum: checksum, subkey: text(&random))
            case 2: return OplogEntry(opID: OpID(opID), op: .move, checksum: checksum)
            default: return OplogEntry(opID: OpID(opID), op: .clear, checksum: checksum)
            }
        }
        return SyncDataBatch(
            bucket: text(&random), after: OpID(start), nextAfter: OpID(opID), hasMore: Bool.random(using: &random),
            data: entries)
    }

    @Test func canonicalLinesDecodeDirectlyToWhatJSONDecoderGives() throws {
        var random = Random(state: 7)
        for _ in 0..<2000 {
            let line = SyncLine.data(Self.batch(&random))
            let bytes = line.ndjson()
            #expect(Self.fast(Array(bytes.dropLast())) == line, "\(String(decoding: bytes, as: UTF8.self))")
            #expect(Self.general(bytes) == line)
        }
        for line in try Fixture.lines("sync_lines.ndjson") where line.starts(with: Array(#"{"data""#.utf8)) {
            let decoded = try #require(Self.fast(line))
            #expect(decoded == Self.general(line))
        }
    }

    @Test func otherShapesAreLeftToJSONDecoder() throws {
        let lines = [
            // legacy embedded data object, op id and after as numbers, an unknown key, a repeated key, a fraction
            #"{"data":{"bucket":"a","data":[{"op_id":"1","op":"PUT","object_type":"t","object_id":"a","data":{"id":"a"},"checksum":1}]}}"#,
            #"{"data":{"bucket":"a","data":[{"op_id":1,"op":"MOVE","checksum":1}]}}"#,
            #"{"data":{"bucket":"a","after":5,"data":[]}}"#,
            #"{"data":{"bucket":"a","data":[],"future":true}}"#,
            #"{"data":{"bucket":"a","bucket":"b","data":[]}}"#,
            #"{"data":{"bucket":"a","data":[{"op_id":"1","op":"MOVE","checksum":1.0}]}}"#,
            #"{"checkpoint_complete":{"last_op_id":"3"}}"#,
        ]
        for text in lines {
            let bytes = Array(text.utf8)
            #expect(Self.fast(bytes) == nil, "\(text)")
            #expect(try SyncLine.decode(bytes) == Self.general(bytes), "\(text)")
        }
        // Escapes the writer never produces, and whitespace, still decode directly.
        let escaped = Array(
            #" { "data" : { "bucket" : "\u00e9\ud83d\ude00\/" , "data" : [ ] , "has_more" : null } } "#.utf8)
        #expect(Self.fast(escaped) == Self.general(escaped))
        #expect(
            Self.fast(escaped) == .data(SyncDataBatch(bucket: "é😀/", after: 0, nextAfter: 0, hasMore: false, data: [])))
    }

    @Test func mutatedLinesNeverDecodeDifferently() {
        var random = Random(state: 42)
        for _ in 0..<20000 {
            var bytes = Array(SyncLine.data(Self.batch(&random)).ndjson().dropLast())
            for _ in 0..<Int.random(in: 1...3, using: &random) where !bytes.isEmpty {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes.remove(at: index)
                default: bytes.insert(Array(#"{}[]":,\0-e.nul"#.utf8).randomElement(using: &random)!, at: index)
                }
            }
            if let fast = Self.fast(bytes) {
                #expect(fast == Self.general(bytes), "\(String(decoding: bytes, as: UTF8.self))")
            }
        }
    }
}
