import Foundation

/// In-process broadcast of new checkpoints: every subscriber sees the latest one (older ones may be skipped).
public final class CheckpointNotifier: @unchecked Sendable {
    private let lock = NSLock()
    private var latest: Checkpoint?
    private var subscribers: [UUID: AsyncStream<Checkpoint>.Continuation] = [:]

    /// Creates a notifier with no checkpoint yet.
    public init() {}

    /// The most recent checkpoint published.
    public var current: Checkpoint? { lock.withLock { latest } }

    /// A stream of checkpoints, starting with the current one if any; ends when the consumer stops iterating.
    public func subscribe() -> AsyncStream<Checkpoint> {
        // Only the newest matters to a sync session: it recomputes everything for whatever checkpoint it gets.
        let (stream, continuation) = AsyncStream.makeStream(of: Checkpoint.self, bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        lock.withLock {
            subscribers[id] = continuation
            if let latest { continuation.yield(latest) }
        }
        continuation.onTermination = { [weak self] _ in
            self?.lock.withLock { _ = self?.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// `checkpoint`, or the current one when that is of the same stream and at least as new.
    public func newest(_ checkpoint: Checkpoint) -> Checkpoint {
        guard let latest = current, latest.streamID == checkpoint.streamID, latest.opID >= checkpoint.opID,
            latest.lsn >= checkpoint.lsn
        else { return checkpoint }
        return latest
    }

    /// Publishes a checkpoint to every subscriber (ignored if not newer than the current one of the same stream, or
    /// if it belongs to an older stream).
    public func publish(_ checkpoint: Checkpoint) {
        let targets: [AsyncStream<Checkpoint>.Continuation] = lock.withLock {
            // Stream ids only grow and a stream serves only after the older ones stopped: a commit the replaced
            // stream finishes after the swap must not switch clients back to it.
            if let latest, latest.streamID > checkpoint.streamID { return [] }
            if let latest, latest.streamID == checkpoint.streamID, latest.opID >= checkpoint.opID,
                latest.lsn >= checkpoint.lsn
            {
                return []
            }
            latest = checkpoint
            return Array(subscribers.values)
        }
        for continuation in targets { continuation.yield(checkpoint) }
    }

    /// Ends every subscription (at shutdown).
    public func finish() {
        let targets = lock.withLock { Array(subscribers.values) }
        for continuation in targets { continuation.finish() }
    }
}
