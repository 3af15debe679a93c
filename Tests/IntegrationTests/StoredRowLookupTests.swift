import Foundation
import PostgresNIO
import StackCore
import Testing

@testable import StackBuckets

/// The `current_data` lookups of a batch probe the primary key once per key even when Postgres has no statistics for
/// the table yet (a fresh stream, or right after a large snapshot), instead of reading the whole table per chunk.
@Suite("stored row lookups")
struct StoredRowLookupTests {
    static let rows = 20_000

    /// A harness whose `current_data` holds `rows` rows of stream 1 and has never been analysed.
    private func unanalysedStorage() async throws -> ReplicationHarness {
        let harness = try await ReplicationHarness(prefix: "lookup")
        let s = harness.config.sync.storageSchema
        try await harness.execute("ALTER TABLE \(s).current_data SET (autovacuum_enabled = false)")
        try await harness.execute(
            """
            INSERT INTO \(s).current_data (group_id, source_table, source_key, buckets, lookups, data)
            SELECT 1, 'public.documents', '["d' || g || '"]', '[["1#b[\\"u\\"]","documents","d' || g || '"]]', '[]', ''
            FROM generate_series(1, \(Self.rows)) g
            """)
        let analysed = try await harness.value(
            "SELECT count(*)::text FROM pg_stats WHERE schemaname = '\(s)' AND tablename = 'current_data'")
        #expect(analysed == "0")
        return harness
    }

    /// 1,000 stored keys and 1,000 unknown ones.
    private var keys: [SourceRowKey] {
        (1...2000).map { index in
            SourceRowKey(table: "public.documents", key: index <= 1000 ? #"["d\#(index * 7)"]"# : #"["x\#(index)"]"#)
        }
    }

    /// Scans of `current_data` in an EXPLAIN (FORMAT JSON) plan: node type and, when analysed, rows per loop.
    private func currentDataScans(
        _ harness: ReplicationHarness, _ query: PostgresQuery, analyze: Bool
    ) async throws -> [(type: String, rows: Double?)] {
        let explain = PostgresQuery(
            unsafeSQL: "EXPLAIN (FORMAT JSON\(analyze ? ", ANALYZE" : "")) " + query.sql, binds: query.binds)
        var text = ""
        for try await line in try await harness.client.query(explain, logger: harness.logger).decode(String.self) {
            text += line
        }
        var scans: [(type: String, rows: Double?)] = []
        func walk(_ node: JSONValue) {
            guard case .object(let fields) = node else { return }
            if case .string(let relation)? = fields["Relation Name"], relation == "current_data",
                case .string(let type)? = fields["Node Type"], type.hasSuffix("Scan")
            {
                var rows: Double?
                if case .integer(let value)? = fields["Actual Rows"] { rows = Double(value) }
                if case .double(let value)? = fields["Actual Rows"] { rows = value }
                scans.append((type, rows))
            }
            if case .array(let children)? = fields["Plans"] { children.forEach(walk) }
            if let plan = fields["Plan"] { walk(plan) }
        }
        if case .array(let plans) = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) {
            plans.forEach(walk)
        }
        return scans
    }

    @Test func lookupsProbeThePrimaryKeyPerKeyWithoutStatistics() async throws {
        let harness = try await unanalysedStorage()
        let found = try await harness.storage.storedRows(stream: 1, keys: keys)
        #expect(found.count == 1000)
        #expect(found[SourceRowKey(table: "public.documents", key: #"["d7"]"#)]?.buckets.map(\.id) == ["d7"])
        #expect(found[SourceRowKey(table: "public.documents", key: #"["x1500"]"#)] == nil)
        let s = harness.config.sync.storageSchema
        let scans = try await currentDataScans(
            harness, BucketStorage.storedRowsQuery(schema: s, stream: 1, keys: keys), analyze: true)
        #expect(!scans.isEmpty)
        for scan in scans {
            // One probe per key: an index scan returning at most the one row of its key, never the table.
            #expect(["Index Scan", "Index Only Scan"].contains(scan.type), "scan: \(scan.type)")
            #expect((scan.rows ?? .infinity) <= 1, "rows per loop: \(String(describing: scan.rows))")
        }
    }

    @Test func replacedRowsAreDeletedByTheirKeysWithoutStatistics() async throws {
        let harness = try await unanalysedStorage()
        let s = harness.config.sync.storageSchema
        let delete = BucketStorage.deleteStoredRowsQuery(schema: s, stream: 1, keys: keys)
        let scans = try await currentDataScans(harness, delete, analyze: false)
        #expect(Set(scans.map(\.type)) == ["Tid Scan", "Index Scan"], "scans: \(scans.map(\.type))")
        try await harness.client.query(delete, logger: harness.logger)
        let left = try await harness.value("SELECT count(*)::text FROM \(s).current_data")
        #expect(left == String(Self.rows - 1000))
        let gone = try await harness.value("SELECT count(*)::text FROM \(s).current_data WHERE source_key = '[\"d7\"]'")
        #expect(gone == "0")
    }
}
