import StackPGOutput

/// A consistent point of a replication stream's bucket data: every op with `op_id <= opID` is visible.
public struct Checkpoint: Hashable, Sendable {
    /// The replication stream (`group_id`; bucket names carry it as the `"<id>#"` prefix).
    public var streamID: Int
    /// The highest op id included.
    public var opID: Int64
    /// The source WAL position replication had reached (write checkpoints resolve against it).
    public var lsn: LSN

    /// Creates a checkpoint.
    public init(streamID: Int, opID: Int64, lsn: LSN) {
        self.streamID = streamID
        self.opID = opID
        self.lsn = lsn
    }
}

/// State of a replication stream (`replication_streams`).
public enum StreamState: String, Sendable, Hashable {
    /// Snapshotting or catching up; not served yet.
    case processing = "PROCESSING"
    /// Served to clients.
    case active = "ACTIVE"
    /// Superseded; its slot and data are being dropped.
    case stop = "STOP"
}

/// One replication stream row.
public struct ReplicationStreamRecord: Hashable, Sendable {
    /// Stream id (`group_id`).
    public var id: Int
    /// Lifecycle state.
    public var state: StreamState
    /// The replication slot name.
    public var slotName: String
    /// Hash of the sync rules the stream was built with.
    public var rulesHash: String
    /// The sync rules content (canonical text).
    public var content: String
    /// True once the initial snapshot of every table finished.
    public var snapshotDone: Bool
    /// No checkpoint is exposed before streaming reaches this LSN.
    public var noCheckpointBefore: LSN?
    /// End LSN of the last source transaction durably written (replays up to it are skipped).
    public var persistedLSN: LSN?
    /// The current checkpoint, nil before the first one.
    public var lastCheckpoint: Int64?
    /// The current checkpoint's LSN.
    public var lastCheckpointLSN: LSN?

    /// The checkpoint, when one exists.
    public var checkpoint: Checkpoint? {
        guard let lastCheckpoint, let lastCheckpointLSN else { return nil }
        return Checkpoint(streamID: id, opID: lastCheckpoint, lsn: lastCheckpointLSN)
    }
}

/// Checksum and op count of one bucket over an op-id range.
public struct BucketChecksum: Hashable, Sendable {
    /// Bucket name.
    public var bucket: String
    /// Wrapping 32-bit sum of the op checksums in the range.
    public var checksum: UInt32
    /// Number of ops in the range.
    public var count: Int
    /// True when the range contains a CLEAR (a partial sum then cannot be added to an earlier one).
    public var hasClear: Bool

    /// Creates a checksum.
    public init(bucket: String, checksum: UInt32, count: Int, hasClear: Bool) {
        self.bucket = bucket
        self.checksum = checksum
        self.count = count
        self.hasClear = hasClear
    }

    /// The checksum as PowerSync's storage reports it (signed 32-bit).
    public var signedChecksum: Int32 { Int32(bitPattern: checksum) }
}

/// Kinds of bucket ops.
public enum OpType: String, Sendable, Hashable {
    case put = "PUT"
    case remove = "REMOVE"
    case move = "MOVE"
    case clear = "CLEAR"
}

/// One op of a bucket as the sync endpoint sends it.
public struct BucketOp: Hashable, Sendable {
    /// Global op id.
    public var opID: Int64
    /// PUT, REMOVE, MOVE or CLEAR.
    public var op: OpType
    /// `object_type` (PUT/REMOVE only).
    public var objectType: String?
    /// `object_id` (PUT/REMOVE only).
    public var objectID: String?
    /// `subkey` (PUT/REMOVE only).
    public var subkey: String?
    /// Row JSON (PUT only).
    public var data: String?
    /// The op checksum (unsigned 32-bit).
    public var checksum: UInt32
    /// For MOVE/CLEAR: the op id the client must reach before the bucket is consistent.
    public var targetOp: Int64?
}

/// A page of one bucket's ops.
public struct BucketOps: Hashable, Sendable {
    /// Bucket name.
    public var bucket: String
    /// Ops in op-id order, all in `(after, upTo]`.
    public var ops: [BucketOp]
    /// True when more ops exist in the range (ask again with `after = ops.last!.opID`).
    public var hasMore: Bool
}
