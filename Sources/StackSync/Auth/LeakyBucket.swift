#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// PowerSync's JWKS refresh limiter (`LeakyBucket.ts`): a burst of `capacity` grants, refilled at one per
/// `period`, with a quadratic delay inside the burst so it is not spent at once.
struct LeakyBucket: Sendable {
    /// Grants available right now (fractional while refilling).
    private(set) var available: Double
    /// Burst size.
    let capacity: Double
    /// Seconds to refill one grant.
    let period: Double
    private var lastRequest: Date = .distantPast
    /// When the last grant was given; `.distantPast` before the first.
    private(set) var lastGranted: Date = .distantPast

    /// A full bucket; PowerSync uses 10 grants per 60 s.
    init(capacity: Int = 10, period: Double = 60) {
        self.capacity = Double(capacity)
        self.available = Double(capacity)
        self.period = period
    }

    /// Takes one grant at `now` if one is available and the burst delay has passed.
    mutating func allow(now: Date) -> Bool {
        let elapsed = max(0, now.timeIntervalSince(lastRequest))
        available = min(available + elapsed / period, capacity)
        lastRequest = now
        let used = capacity - available
        // The more of the burst is used, the longer the wait, up to one `period` when empty.
        let delay = used * used / (capacity * capacity) * period
        guard available >= 1, now.timeIntervalSince(lastGranted) >= delay else { return false }
        available -= 1
        lastGranted = now
        return true
    }
}
