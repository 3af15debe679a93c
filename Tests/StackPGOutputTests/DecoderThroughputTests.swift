import Foundation
import StackFuzzing
import StackPGOutput
import Testing

/// Measures decode + assembly throughput over a large synthetic buffer of realistic messages (reported, not asserted).
@Suite struct DecoderThroughputTests {
    @Test func decodesAndAssemblesALargeSyntheticStream() async throws {
        try await onOwnThread {
            let fixture = try Fixture.rows("default_identity").map(\.bytes)
            let relation = fixture[1]
            let begin = fixture[0]
            let commit = fixture[4]
            // A 3-column insert: (id, name, qty) with ~30 bytes of text.
            func insert(_ id: Int) -> [UInt8] {
                var bytes: [UInt8] = [0x49, 0, 0, 0x40, 0x05, 0x4E, 0, 3]
                for value in [String(id), "item number \(id) with some text", String(id % 100)] {
                    let utf8 = Array(value.utf8)
                    bytes += [0x74] + withUnsafeBytes(of: UInt32(utf8.count).bigEndian, Array.init) + utf8
                }
                return bytes
            }
            var messages: [[UInt8]] = [relation]
            let transactions = 2_000
            let perTransaction = 100
            for transaction in 0..<transactions {
                messages.append(begin)
                for row in 0..<perTransaction { messages.append(insert(transaction * perTransaction + row)) }
                messages.append(commit)
            }
            let clock = ContinuousClock()
            var assembler = TransactionAssembler()
            var rows = 0
            let elapsed = try clock.measure {
                for bytes in messages {
                    if case .transaction(let transaction)? = try assembler.feed(try PGOutputDecoder.decode(bytes)) {
                        rows += transaction.changes.count
                    }
                }
            }
            #expect(rows == transactions * perTransaction)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print(
                "throughput: \(messages.count) messages decoded+assembled in \(String(format: "%.3f", seconds)) s = "
                    + "\(Int(Double(messages.count) / seconds)) messages/s")
        }
    }
}
