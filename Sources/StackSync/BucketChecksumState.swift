import StackCore
import StackProtocol

/// One bucket of a user's checkpoint: its checksum and op count up to the checkpoint, and its priority.
public struct BucketState: Sendable, Equatable {
    /// Full bucket name (`"<stream>#<definition>[…]"`).
    public var name: String
    /// Wrapping sum of the op checksums.
    public var checksum: Checksum
    /// Number of ops.
    public var count: Int64
    /// 0 (first) … 3 (default).
    public var priority: Int

    /// Creates a state.
    public init(name: String, checksum: Checksum, count: Int64, priority: Int) {
        self.name = name
        self.checksum = checksum
        self.count = count
        self.priority = priority
    }

    /// The wire form.
    var wire: StackProtocol.BucketChecksum {
        StackProtocol.BucketChecksum(bucket: name, checksum: checksum, count: count, priority: priority)
    }
}

/// What one connection has told its client so far, and what a new checkpoint changes (PowerSync's
/// `BucketChecksumState`): the first checkpoint is sent whole, later ones as a diff, and only when a bucket
/// changed, appeared or went away, or the client's write checkpoint moved.
public struct BucketChecksumState: Sendable {
    /// The buckets of the last checkpoint line sent, by name; nil before the first.
    public private(set) var sent: [String: BucketState]?
    /// The write checkpoint of the last line sent.
    public private(set) var writeCheckpoint: Int64?
    /// The op id of the last checkpoint planned; nil before the first.
    public private(set) var opID: Int64?

    /// What to send for a new checkpoint.
    public struct Plan: Sendable, Equatable {
        /// `checkpoint` or `checkpoint_diff`, nil when nothing changed for this client.
        public var line: SyncLine?
        /// Buckets whose ops may have moved since the client's position, by (priority, name).
        public var download: [BucketState]
        /// Buckets the client no longer has.
        public var removed: [String]
    }

    /// An empty state (nothing sent yet).
    public init() {}

    /// Compares a checkpoint's buckets with what was sent and records it as sent.
    public mutating func plan(opID: Int64, writeCheckpoint newWriteCheckpoint: Int64?, buckets: [BucketState]) -> Plan {
        let ordered = buckets.sorted { ($0.priority, $0.name) < ($1.priority, $1.name) }
        let current = Dictionary(ordered.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let writeOpID = newWriteCheckpoint.map { OpID($0) }
        defer {
            sent = current
            writeCheckpoint = newWriteCheckpoint
            self.opID = opID
        }
        guard let previous = sent else {
            let line = SyncLine.checkpoint(
                StackProtocol.Checkpoint(
                    lastOpID: OpID(opID), writeCheckpoint: writeOpID, buckets: ordered.map(\.wire)))
            return Plan(line: line, download: ordered, removed: [])
        }
        let updated = ordered.filter { previous[$0.name] != $0 }
        let removed = previous.keys.filter { current[$0] == nil }.sorted()
        guard !updated.isEmpty || !removed.isEmpty || newWriteCheckpoint != writeCheckpoint else {
            return Plan(line: nil, download: [], removed: [])
        }
        let diff = CheckpointDiff(
            lastOpID: OpID(opID), writeCheckpoint: writeOpID, updatedBuckets: updated.map(\.wire),
            removedBuckets: removed)
        return Plan(line: .checkpointDiff(diff), download: updated, removed: removed)
    }
}
