import StackBuckets
import StackSyncRules
import Synchronization

/// The sync rules each replication stream was built with, parsed from the stream's stored content: a client gets
/// the bucket layout of the stream whose checkpoint it is served, also while a stream for changed rules is built.
final class StreamRulesCache: Sendable {
    private let cache = Mutex<[Int: SyncRules]>([:])

    /// The rules of `stream`, nil when the stream is gone or its stored rules do not compile.
    func rules(stream: Int, storage: BucketStorage) async throws -> SyncRules? {
        if let cached = cache.withLock({ $0[stream] }) { return cached }
        guard let record = try await storage.stream(id: stream),
            let rules = try? SyncRules.parse(yaml: record.content)
        else { return nil }
        cache.withLock { $0[stream] = rules }
        return rules
    }
}
