import StackBuckets
import StackCore

/// Bucket checksums shared by every connection: cached per (stream, bucket) at the newest checkpoint computed,
/// advanced by summing only the ops after it, and computed once when many connections ask at the same time
/// (PROTOCOL §2.2).
actor ChecksumCache {
    struct Entry: Sendable, Equatable {
        var opID: Int64
        var checksum: Checksum
        var count: Int64
    }

    private struct Key: Hashable {
        var stream: Int
        var bucket: String
    }

    private struct Request: Hashable {
        var stream: Int
        var bucket: String
        var opID: Int64
    }

    private let storage: BucketStorage
    private let capacity: Int
    private var entries: [Key: Entry] = [:]
    private var inflight: [Request: Task<[String: Entry], any Error>] = [:]
    /// Storage queries made (for tests and the benchmark: many clients, one query).
    private(set) var queries = 0
    /// Checksum requests answered, from the cache or not.
    private(set) var lookups = 0

    init(storage: BucketStorage, capacity: Int) {
        self.storage = storage
        self.capacity = max(capacity, 16)
    }

    /// Checksum and count of each bucket over ops `<= opID`; buckets without ops are `0`/`0`.
    func checksums(stream: Int, buckets: [String], at opID: Int64) async throws -> [String: Entry] {
        lookups += 1
        var result: [String: Entry] = [:]
        var waiting: [Task<[String: Entry], any Error>] = []
        var waitingNames: Set<String> = []
        var missing: [String] = []
        for bucket in Set(buckets) {
            if let entry = entries[Key(stream: stream, bucket: bucket)], entry.opID == opID {
                result[bucket] = entry
            } else if let task = inflight[Request(stream: stream, bucket: bucket, opID: opID)] {
                waitingNames.insert(bucket)
                if !waiting.contains(where: { $0 == task }) { waiting.append(task) }
            } else {
                missing.append(bucket)
            }
        }
        if !missing.isEmpty {
            let bases = missing.map { entries[Key(stream: stream, bucket: $0)].flatMap { $0.opID < opID ? $0 : nil } }
            let storage = self.storage
            let names = missing
            let task = Task { @Sendable in
                try await Self.compute(storage, stream: stream, buckets: names, bases: bases, at: opID)
            }
            queries += 1
            for bucket in missing { inflight[Request(stream: stream, bucket: bucket, opID: opID)] = task }
            defer { for bucket in missing { inflight[Request(stream: stream, bucket: bucket, opID: opID)] = nil } }
            let computed = try await task.value
            store(computed, stream: stream)
            result.merge(computed) { _, new in new }
        }
        for task in waiting {
            let computed = try await task.value
            for (bucket, entry) in computed where waitingNames.contains(bucket) { result[bucket] = entry }
        }
        return result
    }

    private func store(_ computed: [String: Entry], stream: Int) {
        if entries.count + computed.count > capacity {
            // Keep only the newest checkpoint's entries; everything older is what a later increment would replace.
            let newest = computed.values.map(\.opID).max() ?? 0
            entries = entries.filter { $0.value.opID >= newest }
            if entries.count + computed.count > capacity { entries.removeAll(keepingCapacity: true) }
        }
        for (bucket, entry) in computed {
            let key = Key(stream: stream, bucket: bucket)
            if let existing = entries[key], existing.opID > entry.opID { continue }
            entries[key] = entry
        }
    }

    /// Full sums for buckets without a base; increments `(base, opID]` for the others, grouped by base.
    private nonisolated static func compute(
        _ storage: BucketStorage, stream: Int, buckets: [String], bases: [Entry?], at opID: Int64
    ) async throws -> [String: Entry] {
        var groups: [Int64: [String]] = [:]
        var baseOf: [String: Entry] = [:]
        for (bucket, base) in zip(buckets, bases) {
            groups[base?.opID ?? 0, default: []].append(bucket)
            if let base { baseOf[bucket] = base }
        }
        var result: [String: Entry] = [:]
        var recompute: [String] = []
        for (after, names) in groups {
            let sums = try await storage.checksums(stream: stream, buckets: names, upTo: opID, after: after)
            for bucket in names {
                guard let sum = sums[bucket] else {
                    // No ops in the range: unchanged since the base (or empty).
                    let base = baseOf[bucket]
                    result[bucket] = Entry(opID: opID, checksum: base?.checksum ?? .zero, count: base?.count ?? 0)
                    continue
                }
                if let base = baseOf[bucket] {
                    // A CLEAR in the range summarises ops before the base: the increment cannot be added.
                    if sum.hasClear {
                        recompute.append(bucket)
                        continue
                    }
                    result[bucket] = Entry(
                        opID: opID, checksum: base.checksum + Checksum(sum.checksum),
                        count: base.count + Int64(sum.count))
                } else {
                    result[bucket] = Entry(opID: opID, checksum: Checksum(sum.checksum), count: Int64(sum.count))
                }
            }
        }
        if !recompute.isEmpty {
            let sums = try await storage.checksums(stream: stream, buckets: recompute, upTo: opID, after: 0)
            for bucket in recompute {
                let sum = sums[bucket]
                result[bucket] = Entry(
                    opID: opID, checksum: Checksum(sum?.checksum ?? 0), count: Int64(sum?.count ?? 0))
            }
        }
        return result
    }
}
