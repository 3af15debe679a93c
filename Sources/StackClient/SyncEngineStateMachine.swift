import StackCore
import StackProtocol

/// The client sync engine as a pure state machine: sync lines and executor results in, actions out.
///
/// It tracks the target checkpoint of the current stream and which buckets exist locally; the executor
/// owns all data (oplog, checksums, tables) and reports back with `syncLocalFinished(_:)`.
public struct SyncEngineStateMachine: Sendable {
    /// The checkpoint being downloaded (after applying any diffs), nil before the first `checkpoint` line.
    public private(set) var target: Checkpoint?
    /// Buckets stored locally.
    public private(set) var localBuckets: Set<String>
    /// A validated full checkpoint the apply gate refused; retried when an upload finishes.
    public private(set) var deferred: SyncLocalRequest?
    /// The last checkpoint applied to the tables.
    public private(set) var lastApplied: OpID?
    // Prefetch at most once per stream.
    private var prefetchRequested = false

    /// Starts a stream with the buckets the database already holds.
    public init(localBuckets: Set<String>) {
        self.localBuckets = localBuckets
    }

    /// Handles one line from the server.
    public mutating func receive(_ line: SyncLine) -> [SyncAction] {
        switch line {
        case .checkpoint(let checkpoint):
            target = checkpoint
            let keep = Set(checkpoint.buckets.map(\.bucket))
            let stale = localBuckets.subtracting(keep).sorted()
            localBuckets.subtract(stale)
            return stale.isEmpty ? [] : [.deleteBuckets(stale)]

        case .checkpointDiff(let diff):
            guard var checkpoint = target else {
                return [.reconnect(.protocolViolation("checkpoint_diff without a previous checkpoint"))]
            }
            let removed = Set(diff.removedBuckets)
            let updated = Dictionary(diff.updatedBuckets.map { ($0.bucket, $0) }, uniquingKeysWith: { $1 })
            var buckets = checkpoint.buckets.filter { !removed.contains($0.bucket) && updated[$0.bucket] == nil }
            buckets += diff.updatedBuckets
            checkpoint.buckets = buckets.sorted { $0.bucket < $1.bucket }
            checkpoint.lastOpID = diff.lastOpID
            checkpoint.writeCheckpoint = diff.writeCheckpoint
            target = checkpoint
            let stale = localBuckets.intersection(removed).sorted()
            localBuckets.subtract(stale)
            return stale.isEmpty ? [] : [.deleteBuckets(stale)]

        case .data(let batch):
            localBuckets.insert(batch.bucket)
            return [.applyData(batch)]

        case .checkpointComplete(let complete):
            guard let checkpoint = target, checkpoint.lastOpID == complete.lastOpID else {
                return [.reconnect(.protocolViolation("checkpoint_complete for \(complete.lastOpID) does not match the checkpoint"))]
            }
            return [.syncLocal(SyncLocalRequest(
                lastOpID: checkpoint.lastOpID, writeCheckpoint: checkpoint.writeCheckpoint,
                buckets: checkpoint.buckets, priority: nil))]

        case .partialCheckpointComplete(let partial):
            guard let checkpoint = target, checkpoint.lastOpID == partial.lastOpID else {
                return [.reconnect(.protocolViolation("partial_checkpoint_complete for \(partial.lastOpID) does not match the checkpoint"))]
            }
            return [.syncLocal(SyncLocalRequest(
                lastOpID: checkpoint.lastOpID, writeCheckpoint: nil,
                buckets: checkpoint.buckets.filter { $0.priority <= partial.priority }, priority: partial.priority))]

        case .tokenExpiresIn(let seconds):
            if seconds <= 0 { return [.reconnect(.tokenExpired)] }
            if seconds <= 30, !prefetchRequested {
                prefetchRequested = true
                return [.prefetchCredentials]
            }
            return []

        case .unknown:
            return []
        }
    }

    /// Handles the executor's result of a `syncLocal` action.
    public mutating func syncLocalFinished(_ request: SyncLocalRequest, _ result: SyncLocalResult) -> [SyncAction] {
        switch result {
        case .applied:
            if request.priority == nil {
                lastApplied = request.lastOpID
                deferred = nil
            }
            return []
        case .deferred:
            if request.priority == nil { deferred = request }
            return []
        case .checksumMismatch(let buckets):
            // Drop what we have of those buckets; the next request omits them, so they download from scratch.
            localBuckets.subtract(buckets)
            return [.deleteBuckets(buckets), .reconnect(.checksumMismatch(buckets))]
        }
    }

    /// The upload queue drained and a write checkpoint was requested: retry a deferred checkpoint.
    public mutating func uploadFinished() -> [SyncAction] {
        guard let deferred else { return [] }
        return [.syncLocal(deferred)]
    }

    /// Credentials were refreshed: allow the next prefetch.
    public mutating func credentialsRefreshed() {
        prefetchRequested = false
    }
}
