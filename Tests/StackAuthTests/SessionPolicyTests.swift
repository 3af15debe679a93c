import Foundation
import StackAuth
import Testing

@Suite("SessionPolicy: BetterAuth session expiry and refresh")
struct SessionPolicyTests {
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    @Test("7-day sessions, 1-day not-remembered ones, refreshed once a day has passed")
    func lifetimes() {
        let policy = SessionPolicy()
        let expiresAt = policy.expiresAt(from: now)
        #expect(expiresAt.timeIntervalSince(now) == 604_800)
        #expect(policy.expiresAt(from: now, rememberMe: false).timeIntervalSince(now) == 86_400)
        #expect(!policy.needsRefresh(expiresAt: expiresAt, now: now + 86_399))
        #expect(policy.needsRefresh(expiresAt: expiresAt, now: now + 86_400))
        #expect(!policy.isExpired(expiresAt: expiresAt, now: now + 604_800))
        #expect(policy.isExpired(expiresAt: expiresAt, now: now + 604_801))
    }
}
