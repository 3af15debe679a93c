import StackCore
import Synchronization

/// The keys this storage has stored into buckets that held no ops when it began writing them, so that downloading
/// such a bucket (an initial sync) need not look up every op's key in the oplog to supersede it.
///
/// A key whose hash is not in the set cannot be stored in the bucket; a hash in the set is only a maybe (a key
/// removed since, or a hash collision) and is looked up as before. The set is trusted only while the bucket row
/// still has the id and checksums this storage last wrote: ops stored or removed by anyone else (another process on
/// the same file, a wipe, a bucket dropped and downloaded again) change them, and the bucket goes back to lookups.
final class StoredKeyIndex: Sendable {
    /// What a tracked bucket looked like after this storage's last write to it.
    struct State: Equatable {
        /// `ps_buckets.id`.
        var bucketID: Int64
        /// `ps_buckets.add_checksum`.
        var add: Checksum
        /// `ps_buckets.op_checksum`.
        var live: Checksum
    }

    /// Hashes of the keys stored into one tracked bucket.
    struct Keys {
        fileprivate(set) var hashes: Set<Int> = []

        /// Whether `key` may be stored in the bucket (false: certainly not).
        func mayContain(_ key: String) -> Bool { hashes.contains(key.hashValue) }

        /// Records a stored key.
        mutating func insert(_ key: String) { hashes.insert(key.hashValue) }
    }

    /// Beyond this many keys in one bucket the set is dropped and the bucket is looked up op by op (about 16 MB of
    /// hashes).
    static let maximumKeys = 1 << 20

    private let buckets = Mutex<[String: (state: State, keys: Keys)]>([:])

    init() {}

    /// Takes the keys of `bucket` out of the index (the caller puts them back with `update`, so adding to them
    /// copies nothing): nil unless the bucket is tracked and still in the state this storage left it in.
    func take(_ bucket: String, state: State) -> Keys? {
        buckets.withLock { buckets in
            guard let tracked = buckets.removeValue(forKey: bucket), tracked.state == state else { return nil }
            return tracked.keys
        }
    }

    /// Tracks `bucket` with `keys` in `state`, or stops tracking it (nil keys, or too many).
    func update(_ bucket: String, state: State, keys: Keys?) {
        buckets.withLock { buckets in
            if let keys, keys.hashes.count <= Self.maximumKeys {
                buckets[bucket] = (state, keys)
            } else {
                buckets[bucket] = nil
            }
        }
    }
}
