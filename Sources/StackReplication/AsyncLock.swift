/// A mutual-exclusion lock for async code: holders may suspend while they hold it; waiters queue in order.
actor AsyncLock {
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Creates an unlocked lock.
    init() {}

    /// Runs `body` holding the lock, releasing it however `body` ends.
    nonisolated func withLock<T>(_ body: () async throws -> T) async rethrows -> T {
        await acquire()
        do {
            let result = try await body()
            await release()
            return result
        } catch {
            await release()
            throw error
        }
    }

    private func acquire() async {
        guard held else {
            held = true
            return
        }
        // Ownership passes straight from the releasing holder to the first waiter, so no one can barge in.
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            held = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}
