import StackCore

/// `checkpoint`: the full bucket set at a checkpoint (first line of a stream, or a reset).
public struct Checkpoint: Sendable, Equatable, Codable {
    /// The checkpoint's op id.
    public var lastOpID: OpID
    /// The client's write checkpoint that this checkpoint includes, if any.
    public var writeCheckpoint: OpID?
    /// Every bucket of the client at this checkpoint.
    public var buckets: [BucketChecksum]
    /// Sync streams the client has (new clients only).
    public var streams: [StreamDescription]?

    enum CodingKeys: String, CodingKey {
        case buckets, streams
        case lastOpID = "last_op_id"
        case writeCheckpoint = "write_checkpoint"
    }

    /// Creates a checkpoint.
    public init(
        lastOpID: OpID, writeCheckpoint: OpID? = nil, buckets: [BucketChecksum],
        streams: [StreamDescription]? = nil
    ) {
        self.lastOpID = lastOpID
        self.writeCheckpoint = writeCheckpoint
        self.buckets = buckets
        self.streams = streams
    }
}

extension Checkpoint: WireEncodable {
    /// Writes the object; `write_checkpoint` omitted when nil.
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("last_op_id")
        writer.opID(lastOpID)
        if let writeCheckpoint {
            writer.key("write_checkpoint")
            writer.opID(writeCheckpoint)
        }
        writer.key("buckets")
        writer.beginArray()
        for bucket in buckets { bucket.write(to: &writer) }
        writer.endArray()
        if let streams {
            writer.key("streams")
            writer.beginArray()
            for stream in streams { stream.write(to: &writer) }
            writer.endArray()
        }
        writer.endObject()
    }
}

/// `checkpoint_diff`: changes relative to the previous checkpoint line on this connection.
public struct CheckpointDiff: Sendable, Equatable, Codable {
    /// The new checkpoint's op id.
    public var lastOpID: OpID
    /// The client's write checkpoint included, if any.
    public var writeCheckpoint: OpID?
    /// Buckets added or whose checksum/count changed.
    public var updatedBuckets: [BucketChecksum]
    /// Buckets the client no longer has.
    public var removedBuckets: [String]

    enum CodingKeys: String, CodingKey {
        case lastOpID = "last_op_id"
        case writeCheckpoint = "write_checkpoint"
        case updatedBuckets = "updated_buckets"
        case removedBuckets = "removed_buckets"
    }

    /// Creates a diff.
    public init(
        lastOpID: OpID, writeCheckpoint: OpID? = nil, updatedBuckets: [BucketChecksum],
        removedBuckets: [String]
    ) {
        self.lastOpID = lastOpID
        self.writeCheckpoint = writeCheckpoint
        self.updatedBuckets = updatedBuckets
        self.removedBuckets = removedBuckets
    }
}

extension CheckpointDiff: WireEncodable {
    /// Writes the object; `write_checkpoint` omitted when nil.
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("last_op_id")
        writer.opID(lastOpID)
        if let writeCheckpoint {
            writer.key("write_checkpoint")
            writer.opID(writeCheckpoint)
        }
        writer.key("updated_buckets")
        writer.beginArray()
        for bucket in updatedBuckets { bucket.write(to: &writer) }
        writer.endArray()
        writer.key("removed_buckets")
        writer.beginArray()
        for name in removedBuckets { writer.string(name) }
        writer.endArray()
        writer.endObject()
    }
}

/// `checkpoint_complete`: all data of the last checkpoint has been sent.
public struct CheckpointComplete: Sendable, Equatable, Codable, WireEncodable {
    /// Equals the last checkpoint's `last_op_id`.
    public var lastOpID: OpID

    enum CodingKeys: String, CodingKey {
        case lastOpID = "last_op_id"
    }

    /// Creates the line body.
    public init(lastOpID: OpID) {
        self.lastOpID = lastOpID
    }

    /// Writes `{"last_op_id"}`.
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("last_op_id")
        writer.opID(lastOpID)
        writer.endObject()
    }
}

/// `partial_checkpoint_complete`: all buckets with priority number ≤ `priority` are complete.
public struct PartialCheckpointComplete: Sendable, Equatable, Codable, WireEncodable {
    /// Equals the last checkpoint's `last_op_id`.
    public var lastOpID: OpID
    /// The highest priority number now complete.
    public var priority: Int

    enum CodingKeys: String, CodingKey {
        case priority
        case lastOpID = "last_op_id"
    }

    /// Creates the line body.
    public init(lastOpID: OpID, priority: Int) {
        self.lastOpID = lastOpID
        self.priority = priority
    }

    /// Writes `{"last_op_id","priority"}`.
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("last_op_id")
        writer.opID(lastOpID)
        writer.key("priority")
        writer.integer(priority)
        writer.endObject()
    }
}
