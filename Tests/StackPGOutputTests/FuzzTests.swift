import StackFuzzing
import StackPGOutput
import Testing

/// Mutated fixture messages through the decoder, the assembler and the value mapper: a `PGOutputError` or a value,
/// never a trap. `STACK_FUZZ_COUNT=1000000 swift test --filter StackPGOutputTests.FuzzTests` for a long run.
@Suite struct FuzzTests {
    /// Type OIDs the mapper knows, plus arrays of them and one it does not.
    static let typeOIDs: [UInt32] =
        [16, 17, 20, 21, 23, 25, 26, 114, 700, 701, 1082, 1083, 1114, 1184, 1700, 2950, 3220, 3802]
        + [1000, 1005, 1007, 1016, 1009, 1021, 1022, 1182, 1115, 1185, 1231, 2951, 199, 3807, 99_999]

    @Test func mutatedMessagesAreDecodedOrRejected() async throws {
        try await onOwnThread {
            let seeds = try Fixture.names.flatMap { try Fixture.rows($0) }.map(\.bytes)
            let mutator = ByteMutator(
                seeds: seeds,
                dictionary: ["B", "C", "O", "R", "Y", "I", "U", "D", "T", "M", "N", "K", "n", "u", "t", "b"])
            var run = FuzzRun("pgoutput", count: 30_000, seconds: 6)
            var assembler = TransactionAssembler()
            for index in run.indices {
                var random = run.random(index)
                let input = mutator.mutant(using: &random)
                do {
                    let message = try PGOutputDecoder.decode(input)
                    run.record(accepted: true)
                    // What decodes goes on: into the assembler (which may refuse it) and through the value mapper.
                    do {
                        _ = try assembler.feed(message)
                    } catch {
                        #expect(error is PGOutputError, "\(run.origin(index)): assembler threw \(type(of: error))")
                        assembler = TransactionAssembler()
                    }
                    for text in Self.texts(in: message) {
                        _ = PGValueMapper.map(typeOID: random.pick(Self.typeOIDs), text: text)
                    }
                } catch let error as PGOutputError {
                    #expect(error.code.hasPrefix("STACK-R0") && !error.message.isEmpty, "\(run.origin(index))")
                    run.record(accepted: false)
                } catch {
                    Issue.record("\(run.origin(index)): decoder threw \(type(of: error)), not PGOutputError")
                    run.record(accepted: false)
                }
                do {
                    _ = try ReplicationMessage.decode(input)
                } catch {
                    #expect(error is PGOutputError, "\(run.origin(index)): ReplicationMessage threw \(type(of: error))")
                }
            }
            run.report()
            #expect(run.sawBothOutcomes, "\(run.summary)")
        }
    }

    @Test func randomTextIsMappedOrRefusedForEveryType() async {
        await onOwnThread {
            let samples = [
                "", "0", "-0", "1e999", "NaN", "-Infinity", "9223372036854775808", "-9223372036854775809", "t", "f",
                "{}",
                "{1,2", "{{1},{2}}", "{\"a\\\"b\",NULL}", "{", "}", "\\x", "\\xZZ", "\\x0", "2024-02-30", "0000-01-01",
                "294277-01-01 00:00:00", "-infinity", "infinity", "2024-05-01 12:00:00.1234567+14:59:59", "24:00:00",
                "1/2", "0/0", "FFFFFFFF/FFFFFFFF", "1.2.3", "{\"a\":", "[1,2]", "00000000-0000-0000-0000-00000000000g",
                "1999-01-08 04:05:06 BC", "10000-01-01", "12:00:00+25", "{{1,2},{3}}",
                String(repeating: "{", count: 5_000),
            ]
            let mutator = ByteMutator(
                seeds: samples.map { Array($0.utf8) }, dictionary: ["{", "}", ",", "\"", "NULL", "-", ":", "."])
            var run = FuzzRun("pgoutput values", count: 20_000, seconds: 4)
            for index in run.indices {
                var random = run.random(index)
                let text = String(decoding: mutator.mutant(using: &random), as: UTF8.self)
                let mapped = PGValueMapper.map(typeOID: random.pick(Self.typeOIDs), text: text)
                run.record(accepted: mapped != nil)
            }
            run.report()
            #expect(run.inputs > 0)
        }
    }

    /// The column texts of a decoded row message.
    static func texts(in message: PGOutputMessage) -> [String] {
        let tuples: [[TupleValue]]
        switch message {
        case .insert(let insert): tuples = [insert.newTuple]
        case .update(let update): tuples = [update.newTuple, update.oldTuple?.values ?? []]
        case .delete(let delete): tuples = [delete.oldTuple.values]
        default: return []
        }
        return tuples.joined().compactMap { value in
            if case .text(let text) = value { return text }
            return nil
        }
    }
}
