import Foundation
import Testing

@testable import StackAuth

@Suite("RateLimiter: BetterAuth memory rate limiting")
struct RateLimiterTests {
    let start = Date(timeIntervalSince1970: 1_700_000_000)

    @Test("sign-in: 3 per 10 s, then 429 with the seconds left until the window after the last allowed request")
    func signIn() async {
        let limiter = RateLimiter()
        for second in 0..<3 {
            #expect(
                await limiter.consume(clientIP: "1.2.3.4", path: "/sign-in/email", now: start + Double(second))
                    == .allowed)
        }
        #expect(
            await limiter.consume(clientIP: "1.2.3.4", path: "/sign-in/email", now: start + 3)
                == .limited(retryAfter: 9))
        #expect(
            await limiter.consume(clientIP: "1.2.3.4", path: "/sign-in/email", now: start + 11.5)
                == .limited(retryAfter: 1))
        // 10 s after the last allowed request (t = 2) the count starts over.
        #expect(await limiter.consume(clientIP: "1.2.3.4", path: "/sign-in/email", now: start + 12) == .allowed)
    }

    @Test("keys are per client IP and per path; a missing IP shares one bucket")
    func keys() async {
        let limiter = RateLimiter()
        for _ in 0..<3 { _ = await limiter.consume(clientIP: "10.0.0.1", path: "/sign-up/email", now: start) }
        #expect(await limiter.consume(clientIP: "10.0.0.1", path: "/sign-up/email", now: start) != .allowed)
        #expect(await limiter.consume(clientIP: "10.0.0.2", path: "/sign-up/email", now: start) == .allowed)
        #expect(await limiter.consume(clientIP: "10.0.0.1", path: "/sign-in/email", now: start) == .allowed)
        for _ in 0..<3 { _ = await limiter.consume(clientIP: nil, path: "/sign-in/email", now: start) }
        #expect(await limiter.consume(clientIP: nil, path: "/sign-in/email", now: start) == .limited(retryAfter: 10))
    }

    @Test("other paths get the default 100 per 10 s")
    func defaultRule() async {
        let limiter = RateLimiter()
        for _ in 0..<100 {
            #expect(await limiter.consume(clientIP: "1.1.1.1", path: "/get-session", now: start) == .allowed)
        }
        #expect(
            await limiter.consume(clientIP: "1.1.1.1", path: "/get-session", now: start) == .limited(retryAfter: 10))
    }

    @Test(
        "BetterAuth's special rules by path",
        arguments: [
            ("/sign-in/email", RateLimiter.Rule(window: 10, max: 3)),
            ("/sign-up/email", RateLimiter.Rule(window: 10, max: 3)),
            ("/change-password", RateLimiter.Rule(window: 10, max: 3)),
            ("/request-password-reset", RateLimiter.Rule(window: 60, max: 3)),
            ("/forget-password/email-otp", RateLimiter.Rule(window: 60, max: 3)),
            ("/token", RateLimiter.Rule(window: 10, max: 100)),
            ("/jwks", RateLimiter.Rule(window: 10, max: 100)),
        ])
    func rules(_ path: String, _ rule: RateLimiter.Rule) {
        #expect(RateLimiter().rule(forPath: path) == rule)
    }

    @Test("the entry cap evicts the oldest keys instead of growing")
    func cap() async {
        let limiter = RateLimiter(maximumEntries: 10)
        for index in 0..<3 {
            _ = await limiter.consume(clientIP: "first", path: "/sign-in/email", now: start + Double(index) / 100)
        }
        for index in 0..<20 {
            _ = await limiter.consume(clientIP: "ip\(index)", path: "/sign-in/email", now: start + 1)
        }
        // "first" was the oldest entry, so it was evicted and starts over.
        #expect(await limiter.consume(clientIP: "first", path: "/sign-in/email", now: start + 1) == .allowed)
    }
}
