import Logging
import StackCore
import StackProtocol

/// Something the sync engine reports while it runs (for `sync --watch` output and status).
public enum SyncEvent: Sendable, Equatable {
    /// A stream opened.
    case connected
    /// A (partial) checkpoint was validated; `changes` is empty unless it was applied.
    case checkpoint(request: SyncLocalRequest, result: SyncLocalResult, changes: AppliedChanges)
    /// Uploads finished.
    case uploaded(UploadQueue.Summary)
    /// The stream ended and will reconnect.
    case disconnected(reason: String)
    /// Ops stored towards the checkpoint being downloaded (after each stored group of data lines).
    case progress(DownloadProgress)
}

/// How much of the checkpoint being downloaded is on the device, counted as the PowerSync client core does: per
/// bucket, the ops received since the last applied checkpoint against the checkpoint's count minus the count then.
public struct DownloadProgress: Sendable, Equatable {
    /// Ops stored so far.
    public var downloaded: Int64
    /// Ops the checkpoint needs.
    public var total: Int64

    /// Progress as given.
    public init(downloaded: Int64, total: Int64) {
        self.downloaded = downloaded
        self.total = total
    }

    /// Sums the buckets of `checkpoint` with their stored counts (`name → (count_at_last, count_since_last)`).
    public init(checkpoint: Checkpoint, stored: [String: (atLast: Int64, sinceLast: Int64)]) {
        var (downloaded, total): (Int64, Int64) = (0, 0)
        for bucket in checkpoint.buckets {
            let counts = stored[bucket.bucket] ?? (0, 0)
            let needed = max(0, bucket.count - counts.atLast)
            total += needed
            downloaded += min(counts.sinceLast, needed)
        }
        self.downloaded = downloaded
        self.total = total
    }
}

/// Owns the state machine of the current stream and executes its actions against the database.
///
/// An actor because the stream task and the upload task both feed it (lines, and "upload finished").
public actor SyncEngine {
    let storage: SyncStorage
    var machine: SyncEngineStateMachine
    // A reconnect requested outside the line loop (checksum mismatch found after an upload).
    var pendingReconnect: ReconnectReason?
    /// Set when the server warned that the token expires soon.
    public private(set) var credentialsRequested = false
    let onEvent: @Sendable (SyncEvent) -> Void
    // The last full-checkpoint result since the stream loop last asked.
    var fullCheckpointEvent: SyncEvent?

    /// Starts an engine for one stream.
    public init(storage: SyncStorage, onEvent: @escaping @Sendable (SyncEvent) -> Void) throws {
        self.storage = storage
        self.machine = SyncEngineStateMachine(localBuckets: try storage.localBucketNames())
        self.onEvent = onEvent
    }

    /// The state machine (for inspection).
    public var state: SyncEngineStateMachine { machine }

    /// Handles one line; returns a reason when the stream must end.
    public func receive(_ line: SyncLine) throws -> ReconnectReason? {
        if let pending = pendingReconnect { return pending }
        return try execute(machine.receive(line))
    }

    /// Handles consecutive lines; the ops of consecutive data lines are stored in one transaction.
    ///
    /// Each transaction rewrites the oplog index pages its ops land on, and a download's row ids are spread over
    /// the whole index: fewer, larger transactions write those pages fewer times.
    public func receive(_ lines: [SyncLine]) throws -> ReconnectReason? {
        if let pending = pendingReconnect { return pending }
        var actions: [SyncAction] = []
        for line in lines { actions.append(contentsOf: machine.receive(line)) }
        return try execute(actions)
    }

    /// The upload queue drained: retry a deferred checkpoint.
    public func uploadFinished() throws {
        if let reason = try execute(machine.uploadFinished()) { pendingReconnect = reason }
    }

    /// The result of the last full checkpoint since the previous call, if any.
    public func takeFullCheckpointEvent() -> SyncEvent? {
        defer { fullCheckpointEvent = nil }
        return fullCheckpointEvent
    }

    /// Credentials were refreshed after a prefetch request.
    public func credentialsRefreshed() {
        credentialsRequested = false
        machine.credentialsRefreshed()
    }

    private func execute(_ initial: [SyncAction]) throws -> ReconnectReason? {
        var actions = initial[...]
        while let action = actions.popFirst() {
            switch action {
            case .deleteBuckets(let names):
                try storage.deleteBuckets(names)
            case .applyData(let batch):
                var batches = [batch]
                while case .applyData(let next) = actions.first {
                    batches.append(next)
                    actions.removeFirst()
                }
                try storage.applyData(batches)
                if let target = machine.target {
                    onEvent(.progress(DownloadProgress(checkpoint: target, stored: try storage.downloadCounts())))
                }
            case .syncLocal(let request):
                let (result, changes) = try storage.syncLocalReportingChanges(request)
                let event = SyncEvent.checkpoint(request: request, result: result, changes: changes)
                if request.priority == nil { fullCheckpointEvent = event }
                onEvent(event)
                actions.append(contentsOf: machine.syncLocalFinished(request, result))
            case .prefetchCredentials:
                credentialsRequested = true
            case .reconnect(let reason):
                return reason
            }
        }
        return nil
    }
}
