import Foundation
import Testing

@testable import StackSync

/// Pure pieces of token verification: header parsing, base64url, the refresh rate limiter.
@Suite struct AuthPartsTests {
    @Test func authorizationHeader() {
        #expect(SyncTokenVerifier.token(fromAuthorization: "Token a.b.c") == "a.b.c")
        #expect(SyncTokenVerifier.token(fromAuthorization: "Bearer a.b.c") == "a.b.c")
        for header in [nil, "", "Bearer", "Bearer ", "Bearer a b", "Bearer\ta", "bearer a", " Token a", "Token a\n"] {
            #expect(SyncTokenVerifier.token(fromAuthorization: header) == nil)
        }
    }

    @Test func strictBase64URL() {
        #expect(CompactJWT.base64URLDecode("aGk".utf8) == Array("hi".utf8))
        #expect(CompactJWT.base64URLDecode("".utf8) == [])
        #expect(CompactJWT.base64URLDecode("-_8".utf8) == [0xfb, 0xff])
        #expect(CompactJWT.base64URLDecode("aGk=".utf8) == nil)
        #expect(CompactJWT.base64URLDecode("a+k".utf8) == nil)
        #expect(CompactJWT.base64URLDecode("a".utf8) == nil)
    }

    @Test func leakyBucketBurstsThenRefillsOnePerPeriod() {
        var bucket = LeakyBucket(capacity: 10, period: 60)
        var now = Date(timeIntervalSince1970: 0)
        let first = bucket.allow(now: now)
        // Inside the burst each grant waits (used/capacity)² × period.
        let immediateSecond = bucket.allow(now: now)
        #expect(first && !immediateSecond)
        var granted = 1
        for _ in 0..<600 {
            now += 0.1
            if bucket.allow(now: now) { granted += 1 }
        }
        // 60 s: the burst of 10 plus about one refill, never more than capacity + elapsed/period.
        #expect(granted >= 5 && granted <= 11)
        let afterBurst = granted
        for _ in 0..<600 {
            now += 1
            if bucket.allow(now: now) { granted += 1 }
        }
        // Ten more minutes: the rest of the burst, then about one per minute; never above the refill bound.
        #expect(granted - afterBurst >= 8)
        #expect(Double(granted) <= 10 + now.timeIntervalSince1970 / 60 + 1)
    }
}
