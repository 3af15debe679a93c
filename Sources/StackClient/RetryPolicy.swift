/// Exponential backoff for uploads and reconnects.
public struct RetryPolicy: Sendable, Equatable {
    /// First delay.
    public var initialDelay: Duration
    /// Upper bound of a delay.
    public var maxDelay: Duration
    /// Attempts before giving up for now (the queue is kept; the next sync retries).
    public var maxAttempts: Int

    /// Creates a policy.
    public init(initialDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(30), maxAttempts: Int = 8) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.maxAttempts = maxAttempts
    }

    /// The delay before attempt `attempt` (1-based: the first retry waits `initialDelay`).
    public func delay(attempt: Int) -> Duration {
        var delay = initialDelay
        for _ in 1..<max(attempt, 1) {
            delay = delay * 2
            if delay >= maxDelay { return maxDelay }
        }
        return min(delay, maxDelay)
    }
}
