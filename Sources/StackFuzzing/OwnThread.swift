import Dispatch

/// Runs `body` on a thread of its own instead of the concurrency pool's.
///
/// The pool has one thread per core (two here) and every test of the process shares it. A fuzz loop or a throughput
/// run computes for seconds without suspending; on the pool it holds one of those two threads all that time, and
/// the in-process servers of the integration tests running beside it miss their deadlines. On its own thread the
/// kernel shares the cores fairly instead. The body stays in the calling task (a task executor preference), so
/// `#expect` and task-locals work as before.
public func onOwnThread<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
    try await withTaskExecutorPreference(OwnThreadExecutor(), operation: body)
}

/// Whether the caller runs inside `onOwnThread` (not on the concurrency pool).
public var isOnOwnThread: Bool { DispatchQueue.getSpecific(key: OwnThreadExecutor.key) != nil }

/// A task executor on a private serial dispatch queue (serial queues get a thread of their own when they have
/// work, outside the concurrency pool).
final class OwnThreadExecutor: TaskExecutor {
    static let key = DispatchSpecificKey<Bool>()
    private let queue: DispatchQueue

    init() {
        queue = DispatchQueue(label: "stack.own-thread")
        queue.setSpecific(key: Self.key, value: true)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
