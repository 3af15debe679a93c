import Foundation
import StackPGOutput
import Testing

/// Assembler cases that the fixtures do not cover, built from hand-made messages.
@Suite struct TransactionAssemblerTests {
    private let relation = PGOutputMessage.Relation(
        id: 7, namespace: "public", name: "docs", replicaIdentity: .full,
        columns: [
            .init(isKey: true, name: "id", typeOID: PGTypeOID.int4, typeModifier: -1),
            .init(isKey: true, name: "body", typeOID: PGTypeOID.text, typeModifier: -1),
        ])

    @Test func fullIdentityFillsUnchangedToastFromTheOldRow() throws {
        var assembler = TransactionAssembler()
        _ = try assembler.feed(.relation(relation))
        _ = try assembler.feed(.begin(.init(finalLSN: LSN(100), commitTime: 5, xid: 9)))
        _ = try assembler.feed(
            .update(
                .init(
                    relationID: 7, oldTuple: .full([.text("1"), .text("big")]),
                    newTuple: [.text("2"), .unchangedToast])))
        let event = try assembler.feed(
            .commit(.init(flags: 0, commitLSN: LSN(100), endLSN: LSN(120), commitTime: 5)))
        guard case .transaction(let transaction)? = event, case .update(_, let old, let new) = transaction.changes[0]
        else {
            Issue.record("expected a transaction with an update")
            return
        }
        #expect(transaction.xid == 9 && transaction.commitLSN == LSN(100) && transaction.endLSN == LSN(120))
        #expect(old == ["id": .text("1"), "body": .text("big")])
        #expect(new == ["id": .text("2"), "body": .text("big")])
        #expect(!assembler.isInTransaction)
    }

    @Test func rejectsTuplesWhoseWidthDoesNotMatchTheRelation() throws {
        var assembler = TransactionAssembler()
        _ = try assembler.feed(.relation(relation))
        _ = try assembler.feed(.begin(.init(finalLSN: LSN(1), commitTime: 0, xid: 1)))
        #expect {
            try assembler.feed(.insert(.init(relationID: 7, newTuple: [.text("1")])))
        } throws: { ($0 as? PGOutputError)?.code == "STACK-R011" }
    }

    @Test func mappedRowsEncodeAsExactJSON() throws {
        let row: [String: PGJSONValue] = ["big": .integer(9_007_199_254_740_993), "f": .real(1.5), "n": .null]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(row), as: UTF8.self)
        #expect(json == "{\"big\":9007199254740993,\"f\":1.5,\"n\":null}")
    }
}
