#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// BetterAuth's session lifetime rules (`session.expiresIn`, `session.updateAge`; routes/session.ts).
public struct SessionPolicy: Sendable, Equatable {
    /// Seconds a session lives after creation or refresh (BetterAuth: 7 days); also the cookie Max-Age.
    public var expiresIn: Int
    /// A session is extended when it is older than this many seconds since its last refresh (BetterAuth: 1 day).
    public var updateAge: Int
    /// Lifetime of a session created with `rememberMe: false` (BetterAuth: 1 day, never refreshed).
    public static let notRememberedLifetime = 24 * 60 * 60

    /// A policy; the defaults are BetterAuth's.
    public init(expiresIn: Int = 7 * 24 * 60 * 60, updateAge: Int = 24 * 60 * 60) {
        self.expiresIn = expiresIn
        self.updateAge = updateAge
    }

    /// `expiresAt` of a session created (or refreshed) at `now`.
    public func expiresAt(from now: Date, rememberMe: Bool = true) -> Date {
        now.addingTimeInterval(TimeInterval(rememberMe ? expiresIn : Self.notRememberedLifetime))
    }

    /// Whether a session with `expiresAt` is over: then get-session answers null and deletes it.
    public func isExpired(expiresAt: Date, now: Date) -> Bool {
        expiresAt < now
    }

    /// Whether get-session should push `expiresAt` to `now + expiresIn` and re-set the cookie.
    public func needsRefresh(expiresAt: Date, now: Date) -> Bool {
        // BetterAuth: expiresAt - expiresIn + updateAge <= now, i.e. updateAge has passed since the last refresh.
        expiresAt.addingTimeInterval(TimeInterval(updateAge - expiresIn)) <= now
    }
}
