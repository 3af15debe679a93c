import StackPGOutput
import Testing

@Suite struct AssemblerFixtureTests {
    private func assemble(_ name: String) throws -> [AssembledEvent] {
        var assembler = TransactionAssembler()
        return try Fixture.messages(name).compactMap { try assembler.feed($0) }
    }

    private func transactions(_ name: String) throws -> [Transaction] {
        try assemble(name).compactMap { if case .transaction(let t) = $0 { t } else { nil } }
    }

    @Test func resolvesRowsByColumnNameAndKeepsKeyOnlyOldRows() throws {
        let rows = try Fixture.rows("default_identity")
        let all = try transactions("default_identity")
        #expect(all.map(\.xid) == [733, 734, 735, 736])
        #expect(all.map(\.endLSN) == [rows[4].lsn, rows[7].lsn, rows[10].lsn, rows[13].lsn])
        guard case .insert(let table, let new) = all[0].changes[1] else {
            Issue.record("expected insert")
            return
        }
        #expect(table.schema == "public" && table.name == "items")
        #expect(table.keyColumns == ["id"])
        #expect(new == ["id": .text("2"), "name": .text("pear"), "qty": .null])
        #expect(
            all[2].changes == [
                .update(
                    table: table, old: ["id": .text("2")],
                    new: ["id": .text("20"), "name": .text("pear"), "qty": .null])
            ])
        #expect(all[3].changes == [.delete(table: table, old: ["id": .text("1")])])
    }

    @Test func fullIdentityOldRowsAreComplete() throws {
        let all = try transactions("full_identity")
        guard case .update(let table, let old, let new) = all[1].changes[0] else {
            Issue.record("expected update")
            return
        }
        #expect(table.keyColumns == ["id", "name", "qty"])
        #expect(old == ["id": .text("1"), "name": .text("apple"), "qty": .text("3")])
        #expect(new["qty"] == .text("5"))
    }

    @Test func unchangedToastStaysDistinct() throws {
        let all = try transactions("toast_unchanged")
        guard case .update(_, _, let new) = all.last?.changes.first else {
            Issue.record("expected update")
            return
        }
        #expect(new["body"] == .unchangedToast)
        #expect(new["title"] == .text("renamed"))
    }

    @Test func messagesInsideAndOutsideTransactions() throws {
        let events = try assemble("messages")
        #expect(events.count == 3)
        guard case .transaction(let ping) = events[0], case .message(let outside) = events[1],
            case .transaction(let mixed) = events[2]
        else {
            Issue.record("unexpected events \(events)")
            return
        }
        guard case .message(let message) = ping.changes.first else {
            Issue.record("expected message change")
            return
        }
        #expect(message.prefix == "powersync" && message.contentText == "ping")
        #expect(outside.prefix == "other" && !outside.transactional)
        #expect(mixed.changes.count == 2)
        if case .message(let inside) = mixed.changes[1] {
            #expect(inside.contentText == "inside")
        } else {
            Issue.record("expected the message after the insert")
        }
    }

    @Test func truncateResolvesTables() throws {
        let all = try transactions("truncate")
        let truncates = all.flatMap(\.changes).compactMap { change -> ([String], Bool, Bool)? in
            if case .truncate(let tables, let cascade, let restart) = change {
                (tables.map(\.name), cascade, restart)
            } else {
                nil
            }
        }
        #expect(truncates.count == 2)
        #expect(Set(truncates[0].0) == ["items", "other"])
        #expect(truncates[1].0 == ["full_items"] && truncates[1].1 && truncates[1].2)
    }

    @Test func originIsRecorded() throws {
        #expect(try transactions("origin").first?.origin == "upstream")
        #expect(try transactions("default_identity").first?.origin == nil)
    }

    @Test func rejectsChangesForUnknownRelationsAndOutOfOrderMessages() throws {
        let messages = try Fixture.messages("default_identity")
        var assembler = TransactionAssembler()
        _ = try assembler.feed(messages[0])
        // Skip the Relation message: the insert cannot be resolved.
        #expect(throws: PGOutputError.self) { try assembler.feed(messages[2]) }
        var fresh = TransactionAssembler()
        #expect(throws: PGOutputError.self) { try fresh.feed(messages[4]) }
        _ = try fresh.feed(messages[1])
        #expect(throws: PGOutputError.self) { try fresh.feed(messages[2]) }
        _ = try fresh.feed(messages[0])
        #expect(throws: PGOutputError.self) { try fresh.feed(messages[0]) }
    }

    @Test func mapsTypedRowsWithLegacyRepresentations() throws {
        let all = try transactions("types")
        #expect(all.count == 3)
        guard case .insert(let table, let row) = all[0].changes[0] else {
            Issue.record("expected insert")
            return
        }
        let mapped = PGValueMapper.map(row: row, table: table)
        let expected: [String: PGJSONValue] = [
            "id": .integer(1), "b": .integer(1), "i2": .integer(-32768), "i4": .integer(2_147_483_647),
            "i8": .integer(9_007_199_254_740_993), "f4": .real(1.5), "f8": .real(3.14),
            "n": .text("18014398509481982123.5"), "j": .text("{\"test\": \"thing\" }"),
            "jb": .text("{\"test\": \"thing\"}"), "d": .text("2023-03-06"), "ts": .text("2023-03-06 15:47:12.4"),
            "tstz": .text("2023-03-06 13:47:00Z"), "t": .text("17:42:01.12"),
            "u": .text("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            "ta": .text("[\"text\",\"}te][xt{\\\"\",\"a b\",null]"), "i8a": .text("[9007199254740993,-1]"),
            "ba": .text("[1,0]"), "na": .text("[\"18014398509481982123\",\"1.5\"]"),
            "i4aa": .text("[[1,2],[3,4]]"), "iv": .text("01:00:00"), "m": .text("happy"), "nothing": .null,
        ]
        #expect(mapped == expected)
        #expect(mapped["by"] == nil)
        // The source text really was in +05:30, so the conversion to UTC was exercised.
        #expect(row["tstz"] == .text("2023-03-06 19:17:00+05:30"))

        guard case .insert(_, let second) = all[1].changes[0], case .insert(_, let third) = all[2].changes[0] else {
            Issue.record("expected inserts")
            return
        }
        let secondMapped = PGValueMapper.map(row: second, table: table)
        #expect(secondMapped["b"] == .integer(0))
        #expect(secondMapped["f8"] == .real(314))
        #expect(secondMapped["f8"]?.jsonLiteral == "314")
        #expect(secondMapped["d"] == .text("9999-12-31"))
        #expect(secondMapped["ts"] == .text("0000-01-01 00:00:00"))
        #expect(secondMapped["tstz"] == .text("9999-12-31 23:59:59Z"))
        let thirdMapped = PGValueMapper.map(row: third, table: table)
        #expect(thirdMapped["tstz"] == .text("2023-03-06 13:47:00.123456Z"))
        #expect(thirdMapped["f8"] == .null)
    }
}
