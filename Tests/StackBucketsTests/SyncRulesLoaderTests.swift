import StackBuckets
import StackConfig
import StackSyncRules
import Testing

/// A replication stream stores its rules as canonical text; the sync service and the supervisor serve a stream
/// from that text, so it must compile to the same rules as the config it came from.
@Suite struct SyncRulesLoaderTests {
    static func entry(
        _ name: String, parameters: [String], data: [String], priority: Int? = nil, dangerous: Bool = false
    ) -> BucketDefinitionEntry {
        BucketDefinitionEntry(
            name: name, line: 1, column: 1, parameters: parameters.map { SQLEntry(sql: $0, line: 2, column: 3) },
            data: data.map { SQLEntry(sql: $0, line: 3, column: 3) }, priority: priority,
            acceptPotentiallyDangerousQueries: dangerous)
    }

    static let document = SyncRulesDocument(
        file: "stack.yaml",
        definitions: [
            entry(
                "user_docs", parameters: ["SELECT request.user_id() as user_id"],
                data: [
                    #"SELECT id, title AS "Title: ""quoted""" FROM documents WHERE owner_id = bucket.user_id AND title <> 'it''s'"#
                ]),
            entry(
                "group docs", parameters: ["SELECT group_id FROM group_members WHERE user_id = request.user_id()"],
                data: ["SELECT id, title FROM group_docs WHERE group_id = bucket.group_id"], priority: 1),
            entry(
                "by_org", parameters: ["SELECT request.parameters() ->> 'org' AS org"],
                data: ["SELECT * FROM documents WHERE org = bucket.org"], priority: 2, dangerous: true),
        ])

    @Test func storedContentCompilesToTheConfigsRules() throws {
        let config = try SyncRulesLoader.rules(Self.document)
        let content = SyncRulesLoader.content(Self.document)
        let stored: SyncRules
        do {
            stored = try SyncRules.parse(yaml: content)
        } catch {
            Issue.record("\(error)\n\(content)")
            return
        }
        let request = RequestParameters(userID: "u1", clientParameters: ["org": .string("o1")])
        let lookup: (ParameterLookup) -> [SQLiteRow] = { _ in [["group_id": .text("g1")]] }
        let buckets = config.explain(for: request, streamID: "7", lookup: lookup)
        #expect(stored.explain(for: request, streamID: "7", lookup: lookup) == buckets)
        #expect(buckets.contains { $0.contains(#"7#group docs["g1"] priority 1"#) }, "\(buckets)")
        let document: [String: SQLiteValue] = [
            "id": .text("d1"), "title": .text("x"), "owner_id": .text("u1"), "org": .text("o1"),
        ]
        let outputs = config.evaluateRow(table: "documents", row: document, streamID: "7")
        #expect(outputs.count == 2)
        #expect(stored.evaluateRow(table: "documents", row: document, streamID: "7") == outputs)
        let member: [String: SQLiteValue] = ["id": .text("m1"), "group_id": .text("g1"), "user_id": .text("u1")]
        let entries = config.evaluateParameterRow(table: "group_members", row: member)
        #expect(entries.count == 1)
        #expect(stored.evaluateParameterRow(table: "group_members", row: member) == entries)
    }
}
