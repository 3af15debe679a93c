import StackSyncRules
import Testing

@testable import StackBuckets

@Suite struct BatchPlannerTests {
    let rules = try! SyncRules.parse(
        yaml: """
            bucket_definitions:
              user_data:
                parameters: SELECT request.user_id() as user_id
                data:
                  - SELECT * FROM documents WHERE owner_id = bucket.user_id
              by_list:
                parameters: SELECT id AS list_id FROM lists WHERE owner_id = request.user_id()
                data:
                  - SELECT * FROM todos WHERE list_id = bucket.list_id
            """)
    let documents = SourceTable(name: "documents")

    private func put(_ id: String, owner: String, body: String = "x", oldKey: String? = nil, unchanged: [String] = [])
        -> RowChange
    {
        .put(
            table: documents, key: SourceRowKey.keyText([.text(id)]), oldKey: oldKey,
            row: ["id": .text(id), "owner_id": .text(owner), "body": unchanged.contains("body") ? .null : .text(body)],
            unchanged: unchanged)
    }

    private func planned(_ changes: [RowChange], stored: [SourceRowKey: StoredRow] = [:]) -> BatchPlanner {
        var planner = BatchPlanner(rules: rules, streamID: 1)
        for change in changes {
            let keys = planner.needsLoad(change)
            planner.load(keys, found: stored)
            planner.apply(change)
        }
        return planner
    }

    @Test func insertPutsIntoTheOwnersBucket() {
        let planner = planned([put("d1", owner: "u1")])
        #expect(planner.ops.map(\.op) == ["PUT"])
        #expect(planner.ops[0].bucket == #"1#user_data["u1"]"#)
        #expect(planner.ops[0].data == #"{"id":"d1","owner_id":"u1","body":"x"}"#)
        #expect(
            planner.ops[0].checksum
                == OpChecksum.put(objectType: "documents", objectID: "d1", data: planner.ops[0].data!))
    }

    @Test func ownerChangeRemovesFromTheOldBucket() {
        let planner = planned([put("d1", owner: "u1"), put("d1", owner: "u2")])
        #expect(planner.ops.map(\.op) == ["PUT", "PUT", "REMOVE"])
        #expect(planner.ops[2].bucket == #"1#user_data["u1"]"#)
        let subkey = SourceRowKey(table: "public.documents", key: #"["d1"]"#).subkey
        #expect(planner.ops[2].checksum == OpChecksum.remove(subkey: subkey))
    }

    @Test func identityChangeRemovesTheOldRow() {
        let oldKey = SourceRowKey.keyText([.text("d1")])
        let planner = planned([put("d1", owner: "u1"), put("d2", owner: "u1", oldKey: oldKey)])
        #expect(planner.ops.map(\.op) == ["PUT", "REMOVE", "PUT"])
        #expect(planner.ops[1].rowID == "d1")
        #expect(planner.ops[2].rowID == "d2")
        #expect(planner.state(of: SourceRowKey(table: "public.documents", key: oldKey))! == nil)
    }

    @Test func unchangedToastIsFilledFromTheStoredCopy() {
        let long = String(repeating: "long text ", count: 300)
        let planner = planned([put("d1", owner: "u1", body: long), put("d1", owner: "u2", unchanged: ["body"])])
        #expect(planner.ops[1].data == #"{"id":"d1","owner_id":"u2","body":"\#(long)"}"#)
        #expect(planner.incompleteRows.isEmpty)
    }

    @Test func onlyRowsLargeEnoughForToastKeepACopy() {
        let key = SourceRowKey(table: "public.documents", key: SourceRowKey.keyText([.text("d1")]))
        let small = planned([put("d1", owner: "u1", body: "short")])
        #expect(small.state(of: key)??.data == nil)
        #expect(small.state(of: key)??.dataText == "")
        #expect(small.state(of: key)??.buckets.map(\.bucket) == [#"1#user_data["u1"]"#])
        let body = String(repeating: "b", count: StoredRow.copyThreshold)
        let large = planned([put("d1", owner: "u1", body: body)])
        #expect(large.state(of: key)??.data?["body"] == .text(body))
        #expect(large.state(of: key)??.dataText == #"{"id":"d1","owner_id":"u1","body":"\#(body)"}"#)
        // Stored without a copy, then an unchanged marker: the row is reported for a read from the source table.
        let parsed = StoredRow(bucketsText: small.state(of: key)!!.bucketsText, lookupsText: "[]", dataText: "")
        #expect(parsed.data == nil)
        let marked = planned([put("d1", owner: "u2", unchanged: ["body"])], stored: [key: parsed])
        #expect(marked.incompleteRows == [key])
        #expect(marked.ops.map(\.op) == ["PUT", "REMOVE"])
    }

    @Test func deleteAndTruncateRemoveEveryMembership() {
        var planner = planned([
            put("d1", owner: "u1"), put("d2", owner: "u2"), .delete(table: documents, key: #"["d1"]"#),
        ])
        #expect(planner.ops.map(\.op) == ["PUT", "PUT", "REMOVE"])
        planner.apply(.truncate([documents]))
        #expect(planner.ops.map(\.op) == ["PUT", "PUT", "REMOVE", "REMOVE"])
        #expect(planner.ops[3].bucket == #"1#user_data["u2"]"#)
    }

    @Test func parameterRowsAndTombstones() {
        let lists = SourceTable(name: "lists")
        var planner = BatchPlanner(rules: rules, streamID: 1)
        let change = RowChange.put(
            table: lists, key: #"["l1"]"#, oldKey: nil, row: ["id": "l1", "owner_id": "u1"],
            unchanged: [])
        planner.load(planner.needsLoad(change), found: [:])
        planner.apply(change)
        #expect(planner.parameters.count == 1)
        #expect(planner.parameters[0].lookup == #"["by_list","1","u1"]"#)
        #expect(planner.parameters[0].parameters == #"[{"list_id":"l1"}]"#)
        planner.apply(
            .put(table: lists, key: #"["l1"]"#, oldKey: nil, row: ["id": "l1", "owner_id": "u2"], unchanged: []))
        #expect(planner.parameters.map(\.parameters) == [#"[{"list_id":"l1"}]"#, #"[{"list_id":"l1"}]"#, "[]"])
        #expect(planner.parameters[2].lookup == #"["by_list","1","u1"]"#)
    }

    @Test func storedRowRoundTripsThroughText() {
        let row = StoredRow(
            buckets: [BucketMembership(bucket: #"1#b["x"]"#, table: "t", id: "1")], lookups: [#"["a","1",2]"#],
            data: ["id": "1", "n": .integer(3), "r": .real(2.0), "z": .null])
        let parsed = StoredRow(bucketsText: row.bucketsText, lookupsText: row.lookupsText, dataText: row.dataText)
        #expect(parsed == row)
    }

    @Test func takeWritesHandsOverEachChunkAndRemembersWhatIsStored() {
        let key = SourceRowKey(table: "public.documents", key: SourceRowKey.keyText([.text("d1")]))
        var planner = planned([put("d1", owner: "u1")])
        let first = planner.takeWrites()
        #expect(first.ops.map(\.op) == ["PUT"])
        #expect(first.replaced.isEmpty)
        #expect(first.saved.map(\.key) == [key])
        #expect(planner.ops.isEmpty && !planner.hasChanges)
        // Written in an earlier chunk of the same transaction: its row is replaced, not inserted twice.
        planner.apply(put("d1", owner: "u2"))
        let second = planner.takeWrites()
        #expect(second.ops.map(\.op) == ["PUT", "REMOVE"])
        #expect(second.replaced == [key])
        #expect(second.saved.map(\.row.buckets.first?.bucket) == [#"1#user_data["u2"]"#])
        planner.apply(.delete(table: documents, key: key.key))
        let third = planner.takeWrites()
        #expect(third.ops.map(\.op) == ["REMOVE"])
        #expect(third.replaced == [key])
        #expect(third.saved.isEmpty)
        #expect(planner.takeWrites().isEmpty)
        // Deleted in this transaction: a new row with the key is inserted, nothing is deleted.
        planner.apply(put("d1", owner: "u3"))
        let fourth = planner.takeWrites()
        #expect(fourth.replaced.isEmpty)
        #expect(fourth.saved.map(\.key) == [key])
    }

    @Test func missingCopiesAreTheUnchangedMarkersWithNothingToFillFrom() {
        let long = String(repeating: "x", count: StoredRow.copyThreshold)
        let withCopy = SourceRowKey(table: "public.documents", key: SourceRowKey.keyText([.text("big")]))
        let noCopy = SourceRowKey(table: "public.documents", key: SourceRowKey.keyText([.text("small")]))
        let fresh = SourceRowKey(table: "public.documents", key: SourceRowKey.keyText([.text("fresh")]))
        var planner = BatchPlanner(rules: rules, streamID: 1)
        planner.load(
            [withCopy, noCopy],
            found: [
                withCopy: StoredRow(
                    buckets: [], lookups: [], data: ["id": "big", "owner_id": "u1", "body": .text(long)]),
                noCopy: StoredRow(buckets: [], lookups: [], data: nil),
            ])
        #expect(planner.missingCopies(in: [put("big", owner: "u2", unchanged: ["body"])]).isEmpty)
        #expect(planner.missingCopies(in: [put("small", owner: "u2", unchanged: ["body"])]) == [noCopy])
        #expect(planner.missingCopies(in: [put("fresh", owner: "u2", unchanged: ["body"])]) == [fresh])
        // Earlier changes of the same chunk count: a large put gives a copy, a delete or a truncate takes it away.
        #expect(
            planner.missingCopies(in: [
                put("small", owner: "u1", body: long), put("small", owner: "u2", unchanged: ["body"]),
            ]).isEmpty)
        #expect(
            planner.missingCopies(in: [
                .delete(table: documents, key: withCopy.key), put("big", owner: "u2", unchanged: ["body"]),
            ])
                == [withCopy])
        #expect(
            planner.missingCopies(in: [.truncate([documents]), put("big", owner: "u2", unchanged: ["body"])]) == [
                withCopy
            ])
        // An identity change leaves nothing under the old key.
        #expect(
            planner.missingCopies(in: [
                put("big2", owner: "u1", oldKey: withCopy.key), put("big", owner: "u2", unchanged: ["body"]),
            ]) == [withCopy])
    }

    @Test("a text key is written exactly as the general JSON path writes it (stored keys must keep matching)")
    func textKeyText() {
        let texts = [
            "d1", "", "quote\"inside", "back\\slash", "tab\tnew\nline\r", "\u{01}\u{1F}", "ü 🙂 中", "/slash",
            "\u{7F}", String(repeating: "x", count: 5000),
        ]
        for text in texts {
            let general = JSONValue.array([SQLiteValue.text(text).jsonValue ?? .null]).jsonText(preserveRealType: true)
            #expect(SourceRowKey.keyText([.text(text)]) == general)
        }
        #expect(SourceRowKey.keyText([.text("a"), .integer(2)]) == #"["a",2]"#)
        #expect(SourceRowKey.keyText([.integer(-3)]) == "[-3]")
    }

    @Test("rows are written in the order their keys first changed, also after takeWrites")
    func savedRowsKeepChangeOrder() {
        let ids = ["d5", "d1", "d9", "d3", "d7", "d2", "d8"]
        var planner = planned(ids.map { put($0, owner: "u1") } + [put("d1", owner: "u2"), put("d5", owner: "u1")])
        let keys = { (ids: [String]) in
            ids.map { SourceRowKey(table: "public.documents", key: SourceRowKey.keyText([.text($0)])) }
        }
        #expect(planner.writes().saved.map(\.key) == keys(ids))
        _ = planner.takeWrites()
        for id in ["d4", "d9", "d0"] {
            planner.load(planner.needsLoad(put(id, owner: "u1")), found: [:])
            planner.apply(put(id, owner: "u1"))
        }
        #expect(planner.writes().saved.map(\.key) == keys(["d4", "d9", "d0"]))
    }
}
