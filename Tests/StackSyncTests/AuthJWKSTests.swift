import Foundation
import StackCore
import Testing

@testable import StackSync

/// Keys fetched over HTTP from a real local JWKS endpoint: first use, rotation, filtering, outages.
@Suite struct AuthJWKSTests {
    let clock = TestClock()

    /// The wait for a first fetch is PowerSync's 3 s in production; here it is long enough for a loaded machine
    /// except where the test is about that wait.
    func makeVerifier(
        _ url: String, staticKeys: [[String: JSONValue]] = [], fetchWaitLimit: Duration = .seconds(60)
    ) throws -> SyncTokenVerifier {
        try SyncTokenVerifier(
            audience: ["stack"], jwksURI: url, staticKeys: staticKeys, fetchWaitLimit: fetchWaitLimit,
            logger: quietLogger, now: clock.closure)
    }

    @Test func firstUseWaitsForTheJWKS() async throws {
        let server = JWKSServer(keys: [TestSigner.rsaA.jwk(kid: "a", alg: "RS256")])
        try await server.serve { url in
            let verifier = try makeVerifier(url)
            let token = TestSigner.rsaA.token(alg: "RS256", kid: "a", payload: clock.claims())
            #expect(try await verifier.verify(authorization: "Bearer \(token)").userID == "user-1")
            _ = try await verifier.verify(token: token)
            #expect(server.requestCount == 1)
        }
    }

    @Test func aHangingJWKSFailsTheVerificationAfterTheWaitLimitAndLaterOnesUseTheKeys() async throws {
        let server = JWKSServer(keys: [TestSigner.rsaA.jwk(kid: "a", alg: "RS256")])
        server.setHeld(true)
        try await server.serve { url in
            let verifier = try makeVerifier(url, fetchWaitLimit: .milliseconds(300))
            let token = TestSigner.rsaA.token(alg: "RS256", kid: "a", payload: clock.claims())
            await expectFailure(
                verifier, token: token, code: "PSYNC_S2204", message: "did not finish within 0.3 seconds")
            // The fetch went on in the background: once the endpoint answers, the same token verifies.
            server.setHeld(false)
            await verifier.refresh()
            #expect(try await verifier.verify(token: token).userID == "user-1")
            #expect(server.requestCount == 1)
        }
    }

    @Test func concurrentFirstUsesShareOneFetch() async throws {
        let server = JWKSServer(keys: [TestSigner.rsaA.jwk(kid: "a", alg: "RS256")])
        try await server.serve { url in
            let verifier = try makeVerifier(url)
            let token = TestSigner.rsaA.token(alg: "RS256", kid: "a", payload: clock.claims())
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<50 {
                    group.addTask { try await verifier.verify(token: token).userID }
                }
                for try await userID in group { #expect(userID == "user-1") }
            }
            #expect(server.requestCount == 1)
        }
    }

    @Test func staleKeysAreRefreshedInTheBackground() async throws {
        let server = JWKSServer(keys: [TestSigner.rsaA.jwk(kid: "a", alg: "RS256")])
        try await server.serve { url in
            let verifier = try makeVerifier(url)
            await verifier.refresh()
            clock.advance(4 * 60)
            _ = try await verifier.verify(token: TestSigner.rsaA.token(alg: "RS256", kid: "a", payload: clock.claims()))
            #expect(server.requestCount == 1)
            server.setKeys([TestSigner.rsaB.jwk(kid: "b", alg: "RS256")])
            clock.advance(2 * 60)
            // Past 5 minutes: this request still uses the cached key and starts a fetch it does not wait for.
            _ = try await verifier.verify(token: TestSigner.rsaA.token(alg: "RS256", kid: "a", payload: clock.claims()))
            for _ in 0..<200 where server.requestCount < 2 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(server.requestCount == 2)
            await verifier.refresh()
            let old = TestSigner.rsaA.token(alg: "RS256", kid: "a", payload: clock.claims())
            await expectFailure(verifier, token: old, code: "PSYNC_S2101", message: "Could not find an appropriate key")
        }
    }

    @Test func rotatedKeyIsPickedUpOnFirstUse() async throws {
        let server = JWKSServer(keys: [TestSigner.rsaA.jwk(kid: "a", alg: "RS256")])
        try await server.serve { url in
            let verifier = try makeVerifier(url)
            await verifier.refresh()
            #expect(server.requestCount == 1)
            let rotated = TestSigner.rsaB.token(alg: "RS256", kid: "b", payload: clock.claims())
            await expectFailure(
                verifier, token: rotated, code: "PSYNC_S2101", message: "Could not find an appropriate key")
            #expect(server.requestCount == 2)

            server.setKeys([TestSigner.rsaB.jwk(kid: "b", alg: "RS256"), TestSigner.rsaA.jwk(kid: "a", alg: "RS256")])
            clock.advance(5)
            #expect(try await verifier.verify(token: rotated).userID == "user-1")
            #expect(server.requestCount == 3)
        }
    }

    @Test func unknownKidRefreshesAreRateLimited() async throws {
        let server = JWKSServer(keys: [TestSigner.rsaA.jwk(kid: "a")])
        try await server.serve { url in
            let verifier = try makeVerifier(url)
            await verifier.refresh()
            let unknown = TestSigner.rsaB.token(alg: "RS256", kid: "zzz", payload: clock.claims())
            for _ in 0..<30 {
                await expectFailure(verifier, token: unknown, code: "PSYNC_S2101")
            }
            // One refresh, then the burst delay holds the next ones back while the clock stands still.
            #expect(server.requestCount == 2)
            for _ in 0..<30 {
                clock.advance(1)
                await expectFailure(verifier, token: unknown, code: "PSYNC_S2101")
            }
            #expect(server.requestCount <= 2 + 10)
            #expect(server.requestCount > 3)
        }
    }

    @Test func onlyAsymmetricSignatureKeysAreUsed() async throws {
        let secret = TestSigner.hmac(Array("published secret".utf8))
        let server = JWKSServer(keys: [
            secret.jwk(kid: "oct"), TestSigner.rsaA.jwk(kid: "enc") + ["use": .string("enc")],
            TestSigner.rsaA.jwk(kid: "ops") + ["key_ops": .array([.string("sign")])],
            TestSigner.rsaB.jwk(kid: "ok") + ["use": .string("sig"), "key_ops": .array([.string("verify")])],
        ])
        try await server.serve { url in
            let verifier = try makeVerifier(url)
            await expectFailure(
                verifier, token: secret.token(alg: "HS256", kid: "oct", payload: clock.claims()), code: "PSYNC_S2101",
                message: "Could not find an appropriate key")
            for kid in ["enc", "ops"] {
                let token = TestSigner.rsaA.token(alg: "RS256", kid: kid, payload: clock.claims())
                await expectFailure(
                    verifier, token: token, code: "PSYNC_S2101", message: "Could not find an appropriate key")
            }
            _ = try await verifier.verify(
                token: TestSigner.rsaB.token(alg: "RS256", kid: "ok", payload: clock.claims()))
        }
    }

    @Test func hmacWithTheJWKSPublicKeyIsRefused() async throws {
        let server = JWKSServer(keys: [TestSigner.rsaA.jwk(kid: "a", alg: "RS256")])
        try await server.serve { url in
            let verifier = try makeVerifier(
                url, staticKeys: [TestSigner.hmac(Array("the real shared secret, 32+ bytes".utf8)).jwk()])
            let forged = TestSigner.hmac(Array(TestSigner.rsaA.publicPEM.utf8))
            await expectFailure(
                verifier, token: forged.token(alg: "HS256", kid: "a", payload: clock.claims()), code: "PSYNC_S2101",
                message: "Unexpected token algorithm HS256")
            await expectFailure(
                verifier, token: forged.token(alg: "HS256", payload: clock.claims()), code: "PSYNC_S2101",
                message: "Could not find an appropriate key")
        }
    }

    @Test func keysSurviveAnOutageForAnHour() async throws {
        let server = JWKSServer(keys: [TestSigner.rsaA.jwk(kid: "a", alg: "RS256")])
        let verifier = try await server.serve { url in
            let verifier = try makeVerifier(url)
            await verifier.refresh()
            return verifier
        }
        // The server is gone: background refreshes fail and the cached key keeps working.
        clock.advance(6 * 60)
        _ = try await verifier.verify(token: TestSigner.rsaA.token(alg: "RS256", kid: "a", payload: clock.claims()))
        clock.advance(50 * 60)
        _ = try await verifier.verify(token: TestSigner.rsaA.token(alg: "RS256", kid: "a", payload: clock.claims()))
        // After 60 minutes without a successful refresh the keys are dropped.
        clock.advance(10 * 60)
        let token = TestSigner.rsaA.token(alg: "RS256", kid: "a", payload: clock.claims())
        await expectFailure(verifier, token: token, code: "PSYNC_S2204", message: "JWKS request failed")
    }

    @Test func jwksURIMustBeHTTP() {
        #expect(throws: SyncServiceError.self) { try makeVerifier("ftp://example.com/jwks") }
        #expect(throws: SyncServiceError.self) { try makeVerifier("not a url") }
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    static func + (lhs: Self, rhs: Self) -> Self { lhs.merging(rhs) { $1 } }
}
