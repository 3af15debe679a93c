import StackPGOutput
import Testing

/// Decodes bytes captured from PostgreSQL 15 (see dev/capture-pgoutput-fixtures) and checks every field.
@Suite struct FixtureDecodingTests {
    @Test func everyFixtureMessageDecodesAndCommitEndMatchesSlotLSN() throws {
        for name in Fixture.names {
            let rows = try Fixture.rows(name)
            #expect(!rows.isEmpty, "fixture \(name) is empty")
            for row in rows {
                let message = try PGOutputDecoder.decode(row.bytes)
                // The slot reports a commit at the end of its record, which the Commit message carries as endLSN.
                if case .commit(let commit) = message {
                    #expect(commit.endLSN == row.lsn, "\(name)")
                    #expect(commit.flags == 0)
                }
                if case .begin(let begin) = message {
                    #expect(begin.xid == row.xid, "\(name)")
                }
            }
        }
    }

    @Test func defaultIdentityInsertUpdateDelete() throws {
        let messages = try Fixture.messages("default_identity")
        #expect(messages.count == 14)
        guard case .begin(let begin) = messages[0], case .relation(let relation) = messages[1],
            case .insert(let first) = messages[2], case .insert(let second) = messages[3],
            case .commit(let commit) = messages[4]
        else {
            Issue.record("unexpected message kinds: \(messages.prefix(5))")
            return
        }
        #expect(begin.xid == 733)
        #expect(begin.finalLSN == commit.commitLSN)
        #expect(begin.finalLSN == LSN("0/1542BF0"))
        #expect(begin.commitTime == commit.commitTime)
        #expect(relation.namespace == "public")
        #expect(relation.name == "items")
        #expect(relation.replicaIdentity == .default)
        #expect(relation.columns.map(\.name) == ["id", "name", "qty"])
        #expect(relation.columns.map(\.isKey) == [true, false, false])
        #expect(relation.columns.map(\.typeOID) == [23, 25, 23])
        #expect(relation.columns.map(\.typeModifier) == [-1, -1, -1])
        #expect(first.relationID == relation.id)
        #expect(first.newTuple == [.text("1"), .text("apple"), .text("3")])
        #expect(second.newTuple == [.text("2"), .text("pear"), .null])

        guard case .update(let plain) = messages[6], case .update(let keyChange) = messages[9],
            case .delete(let delete) = messages[12]
        else {
            Issue.record("expected update, update, delete")
            return
        }
        #expect(plain.oldTuple == nil)
        #expect(plain.newTuple == [.text("1"), .text("apple"), .text("4")])
        #expect(keyChange.oldTuple == .key([.text("2"), .null, .null]))
        #expect(keyChange.newTuple == [.text("20"), .text("pear"), .null])
        #expect(delete.oldTuple == .key([.text("1"), .null, .null]))
    }

    @Test func fullIdentitySendsWholeOldRows() throws {
        let messages = try Fixture.messages("full_identity")
        guard case .relation(let relation) = messages[1], case .update(let update) = messages[5],
            case .delete(let delete) = messages[8]
        else {
            Issue.record("unexpected message kinds")
            return
        }
        #expect(relation.name == "full_items")
        #expect(relation.replicaIdentity == .full)
        #expect(relation.columns.allSatisfy { $0.isKey })
        #expect(update.oldTuple == .full([.text("1"), .text("apple"), .text("3")]))
        #expect(update.newTuple == [.text("1"), .text("apple"), .text("5")])
        #expect(delete.oldTuple == .full([.text("1"), .text("apple"), .text("5")]))
    }

    @Test func unchangedToastArrivesAsMarker() throws {
        let messages = try Fixture.messages("toast_unchanged")
        let inserts = messages.compactMap { if case .insert(let insert) = $0 { insert } else { nil } }
        let updates = messages.compactMap { if case .update(let update) = $0 { update } else { nil } }
        #expect(inserts.count == 1)
        #expect(updates.count == 1)
        guard case .text(let body)? = inserts.first?.newTuple.last else {
            Issue.record("insert body missing")
            return
        }
        #expect(body.count == 9600)
        #expect(body.hasPrefix("c4ca4238a0b923820dcc509a6f75849b"))  // md5('1')
        #expect(updates.first?.newTuple == [.text("1"), .text("renamed"), .unchangedToast])
        #expect(updates.first?.oldTuple == nil)
    }

    @Test func truncateCarriesOptionsAndRelations() throws {
        let messages = try Fixture.messages("truncate")
        let relations = Dictionary(
            messages.compactMap { if case .relation(let r) = $0 { (r.name, r.id) } else { nil } },
            uniquingKeysWith: { a, _ in a })
        let truncates = messages.compactMap { if case .truncate(let t) = $0 { t } else { nil } }
        #expect(truncates.count == 2)
        #expect(truncates[0].relationIDs.sorted() == [relations["items"]!, relations["other"]!].sorted())
        #expect(!truncates[0].cascade && !truncates[0].restartIdentity)
        #expect(truncates[1].relationIDs == [relations["full_items"]!])
        #expect(truncates[1].cascade && truncates[1].restartIdentity)
    }

    @Test func logicalMessagesInsideAndOutsideTransactions() throws {
        let rows = try Fixture.rows("messages")
        let messages = try rows.map { try PGOutputDecoder.decode($0.bytes) }
        let logical = messages.compactMap { if case .message(let m) = $0 { m } else { nil } }
        #expect(logical.map(\.prefix) == ["powersync", "other", "powersync"])
        #expect(logical.map(\.contentText) == ["ping", "not in a transaction", "inside"])
        #expect(logical.map(\.transactional) == [true, false, true])
        #expect(logical[1].lsn == rows[3].lsn)
        #expect(rows[3].xid == 0)
    }

    @Test func typeAndOriginMessages() throws {
        let types = try Fixture.messages("types")
        guard case .type(let type) = types[1], case .relation(let relation) = types[2] else {
            Issue.record("expected Type then Relation")
            return
        }
        #expect(type.namespace == "public")
        #expect(type.name == "mood")
        #expect(relation.columns.first { $0.name == "m" }?.typeOID == type.id)
        #expect(relation.columns.count == 24)
        #expect(relation.columns.first { $0.name == "tstz" }?.typeOID == PGTypeOID.timestamptz)

        let origin = try Fixture.messages("origin")
        guard case .origin(let value) = origin[1] else {
            Issue.record("expected Origin after Begin")
            return
        }
        #expect(value.name == "upstream")
        #expect(value.lsn == LSN("0/ABCDEF"))
    }
}
