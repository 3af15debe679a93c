import Foundation
import StackBuckets

/// The wake-ups of one sync connection, coalesced: only the newest checkpoint is kept (a session always
/// computes the latest state), and a keepalive tick is a flag. Bounded no matter how fast checkpoints come.
final class SessionEvents: @unchecked Sendable {
    enum Event: Sendable, Equatable {
        case checkpoint(StackBuckets.Checkpoint)
        case tick
    }

    private let lock = NSLock()
    private var checkpoint: StackBuckets.Checkpoint?
    private var tickDue = false
    private var finished = false
    private var waiter: CheckedContinuation<Event?, Never>?

    /// Records a new checkpoint (replacing an unread one).
    func post(_ newCheckpoint: StackBuckets.Checkpoint) {
        resume {
            checkpoint = newCheckpoint
        }
    }

    /// Records that a `token_expires_in` line is due.
    func postTick() {
        resume {
            tickDue = true
        }
    }

    /// No more events (server shutdown, source ended); `next()` returns nil once the pending ones are read.
    func finish() {
        resume {
            finished = true
        }
    }

    /// The next event: a due tick first (it is cheap), then the newest checkpoint; nil when finished or cancelled.
    func next() async -> Event? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready: Event?? = lock.withLock {
                    if let event = take() { return .some(event) }
                    if finished { return .some(nil) }
                    waiter = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            finish()
        }
    }

    private func resume(_ change: () -> Void) {
        let (continuation, event): (CheckedContinuation<Event?, Never>?, Event?) = lock.withLock {
            change()
            guard let waiter else { return (nil, nil) }
            guard let event = take() else {
                if finished {
                    self.waiter = nil
                    return (waiter, nil)
                }
                return (nil, nil)
            }
            self.waiter = nil
            return (waiter, event)
        }
        continuation?.resume(returning: event)
    }

    // Called with the lock held.
    private func take() -> Event? {
        if tickDue {
            tickDue = false
            return .tick
        }
        if let checkpoint {
            self.checkpoint = nil
            return .checkpoint(checkpoint)
        }
        return nil
    }
}
