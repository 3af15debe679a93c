#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// BetterAuth's in-memory rate limiter (api/rate-limiter): per client IP and path, a count that resets once
/// `window` seconds pass without an allowed request.
public actor RateLimiter {
    /// At most `max` requests within `window` seconds.
    public struct Rule: Sendable, Equatable {
        /// Window length in seconds.
        public var window: Int
        /// Requests allowed within the window.
        public var max: Int

        /// A rule.
        public init(window: Int, max: Int) {
            self.window = window
            self.max = max
        }

        /// BetterAuth's default for every path (`rateLimit.window` 10, `rateLimit.max` 100).
        public static let standard = Rule(window: 10, max: 100)
        /// Sign-in, sign-up, change-password, change-email: 3 per 10 s.
        public static let credentials = Rule(window: 10, max: 3)
        /// Password reset and verification emails: 3 per 60 s.
        public static let emails = Rule(window: 60, max: 3)
    }

    /// The outcome of one request.
    public enum Decision: Sendable, Equatable {
        /// Go on.
        case allowed
        /// Answer 429 with `X-Retry-After: seconds`.
        case limited(retryAfter: Int)
    }

    private struct Entry {
        var count: Int
        var lastRequest: Date
        var expiresAt: Date
    }

    private let standardRule: Rule
    private let maximumEntries: Int
    private var entries: [String: Entry] = [:]
    private var lastPrune = Date.distantPast

    /// A limiter; `maximumEntries` bounds memory against floods of distinct keys (BetterAuth: 100 000).
    public init(standardRule: Rule = .standard, maximumEntries: Int = 100_000) {
        self.standardRule = standardRule
        self.maximumEntries = maximumEntries
    }

    /// BetterAuth's rule for `path`, relative to the auth base path (`/sign-in/email`, not `/api/auth/…`).
    public nonisolated func rule(forPath path: String) -> Rule {
        // getDefaultSpecialRules() in rate-limiter/index.ts.
        let credentialPrefixes = ["/sign-in", "/sign-up", "/change-password", "/change-email"]
        if credentialPrefixes.contains(where: path.hasPrefix) { return .credentials }
        let emailPaths: Set = [
            "/request-password-reset", "/send-verification-email", "/email-otp/send-verification-otp",
            "/email-otp/request-password-reset",
        ]
        if emailPaths.contains(path) || path.hasPrefix("/forget-password") { return .emails }
        return standardRule
    }

    /// Counts one request from `clientIP` (nil: BetterAuth's shared `no-trusted-ip` bucket) to `path`.
    public func consume(clientIP: String?, path: String, now: Date = Date()) -> Decision {
        let rule = rule(forPath: path)
        let key = "\(clientIP ?? "no-trusted-ip")|\(path)"
        prune(now: now)
        let current = entries[key].flatMap { now < $0.expiresAt ? $0 : nil }
        let window = TimeInterval(rule.window)
        let next: Entry
        if let current, now.timeIntervalSince(current.lastRequest) < window {
            guard current.count < rule.max else {
                let remaining = current.lastRequest.addingTimeInterval(window).timeIntervalSince(now)
                return .limited(retryAfter: Int(remaining.rounded(.up)))
            }
            next = Entry(count: current.count + 1, lastRequest: now, expiresAt: now.addingTimeInterval(window))
        } else {
            next = Entry(count: 1, lastRequest: now, expiresAt: now.addingTimeInterval(window))
        }
        entries[key] = next
        return .allowed
    }

    private func prune(now: Date) {
        // BetterAuth sweeps on every request; once a second is enough here and keeps the actor cheap.
        if now.timeIntervalSince(lastPrune) >= 1 || entries.count >= maximumEntries {
            entries = entries.filter { now < $0.value.expiresAt }
            lastPrune = now
        }
        guard entries.count >= maximumEntries else { return }
        let overflow = entries.count - maximumEntries + 1
        for (key, _) in entries.sorted(by: { $0.value.lastRequest < $1.value.lastRequest }).prefix(overflow) {
            entries[key] = nil
        }
    }
}
