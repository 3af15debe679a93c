import StackCore
import StackProtocol

/// What the sync engine asks the executor (SQLite + connection) to do.
public enum SyncAction: Sendable, Equatable {
    /// Delete these buckets locally (their rows are re-evaluated at the next apply).
    case deleteBuckets([String])
    /// Store a chunk of ops in the oplog and update the bucket's running checksums.
    case applyData(SyncDataBatch)
    /// Validate the checksums of a (partial) checkpoint and, if the apply gate allows, apply it to the tables.
    case syncLocal(SyncLocalRequest)
    /// Fetch fresh credentials in the background (the token expires soon).
    case prefetchCredentials
    /// Close this stream and open a new one (after fetching credentials when `refreshCredentials`).
    case reconnect(ReconnectReason)
}

/// Why the engine ends the current stream.
public enum ReconnectReason: Sendable, Equatable {
    /// The token expired (`token_expires_in` ≤ 0).
    case tokenExpired
    /// These buckets failed checksum validation and were deleted; the next request omits them.
    case checksumMismatch([String])
    /// The server broke the protocol (e.g. a diff before any checkpoint).
    case protocolViolation(String)

    /// Whether new credentials must be fetched before reconnecting.
    public var refreshCredentials: Bool { self == .tokenExpired }
}

extension ReconnectReason: CustomStringConvertible {
    /// The reason in words, as `sync --watch` prints it (`disconnected: token expired, fetching a new one; …`).
    public var description: String {
        switch self {
        case .tokenExpired: "token expired, fetching a new one"
        case .checksumMismatch(let buckets):
            "checksum mismatch in bucket(s) \(buckets.joined(separator: ", ")), downloading them again"
        case .protocolViolation(let detail): "the sync service broke the protocol (\(detail))"
        }
    }
}

/// A checkpoint (or one priority level of it) to validate and apply.
public struct SyncLocalRequest: Sendable, Equatable {
    /// The checkpoint's op id.
    public var lastOpID: OpID
    /// Its write checkpoint (recorded only for full checkpoints).
    public var writeCheckpoint: OpID?
    /// The buckets to validate, with expected checksums.
    public var buckets: [BucketChecksum]
    /// nil for the full checkpoint, else the priority level completed.
    public var priority: Int?

    /// Creates a request.
    public init(lastOpID: OpID, writeCheckpoint: OpID?, buckets: [BucketChecksum], priority: Int?) {
        self.lastOpID = lastOpID
        self.writeCheckpoint = writeCheckpoint
        self.buckets = buckets
        self.priority = priority
    }

    /// Priority-0 partial checkpoints may be applied while uploads are pending.
    public var bypassesUploadGate: Bool { priority == 0 }
}

/// What the executor found when it ran a `syncLocal` action.
public enum SyncLocalResult: Sendable, Equatable {
    /// Checksums matched and the data is now visible in the tables.
    case applied
    /// Checksums matched but local writes are pending or the write checkpoint has not come back.
    case deferred
    /// These buckets' local checksums differ from the server's.
    case checksumMismatch([String])
}
