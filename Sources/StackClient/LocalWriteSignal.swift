import Foundation
import Synchronization

/// Tells in-process listeners (the upload loop of `watch`) that a local write was committed, so it uploads at once
/// instead of at its next poll. Writes by other processes are still found by polling.
public final class LocalWriteSignal: Sendable {
    private let listeners = Mutex<[UUID: AsyncStream<Void>.Continuation]>([:])

    /// Creates a signal with no listeners.
    public init() {}

    /// A stream that yields after each committed local write (coalesced: at most one pending wakeup).
    public func wakeups() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        listeners.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in
            _ = self?.listeners.withLock { $0.removeValue(forKey: id) }
        }
        return stream
    }

    /// Wakes every listener.
    public func signal() {
        for continuation in listeners.withLock({ Array($0.values) }) { continuation.yield() }
    }
}
