import StackConfig
import Testing

@Suite struct SyncSettingsTests {
    @Test("sync limits and the compaction schedule: defaults, values, and errors that name line and key")
    func limitsAndCompaction() throws {
        let defaults = try parse(minimalTable)
        #expect(defaults.sync.maxConnections == 200)
        #expect(defaults.sync.maxBuckets == 1000)
        #expect(defaults.sync.compactEvery == 3600)

        let set = try parse("sync:\n  max_connections: 50\n  max_buckets: 20\n  compact_every: 30m\n" + minimalTable)
        #expect(set.sync.maxConnections == 50)
        #expect(set.sync.maxBuckets == 20)
        #expect(set.sync.compactEvery == 1800)
        #expect(try parse("sync:\n  compact_every: off\n" + minimalTable).sync.compactEvery == 0)

        let found = diagnostics("sync:\n  max_connections: 0\n  compact_every: 10s\n" + minimalTable)
        #expect(found.map(\.key).sorted() == ["sync.compact_every", "sync.max_connections"])
        #expect(found.first { $0.key == "sync.compact_every" }?.line == 3)
    }
}
