import Crypto
import Foundation
import StackCore
import Testing

@testable import StackSync

/// Verification against static keys (`sync.jwks.keys`): algorithms, key selection, claims and error codes.
@Suite struct AuthStaticKeyTests {
    let clock = TestClock()
    let rsa = TestSigner.rsaA
    let ec = TestSigner.p256(P256.Signing.PrivateKey())
    let ed = TestSigner.ed25519(Curve25519.Signing.PrivateKey())
    let secret = TestSigner.hmac(Array("a shared secret of 32 bytes!!!!!".utf8))

    func makeVerifier(_ keys: [[String: JSONValue]], audience: [String] = ["stack"]) throws(SyncServiceError)
        -> SyncTokenVerifier
    {
        try SyncTokenVerifier(
            audience: audience, jwksURI: nil, staticKeys: keys, logger: quietLogger, now: clock.closure)
    }

    /// RSA with kid, EC and Ed25519 with kids, and a kid-less shared secret.
    func allKeys() throws -> SyncTokenVerifier {
        try makeVerifier([
            rsa.jwk(kid: "rsa-1", alg: "RS256"), ec.jwk(kid: "ec-1"), ed.jwk(kid: "ed-1", alg: "EdDSA"), secret.jwk(),
        ])
    }

    @Test func acceptsEveryAlgorithmFamily() async throws {
        let verifier = try allKeys()
        let cases: [(TestSigner, String, String?)] = [
            (rsa, "RS256", "rsa-1"), (ec, "ES256", "ec-1"), (ed, "EdDSA", "ed-1"), (secret, "HS256", nil),
        ]
        for (signer, alg, kid) in cases {
            let token = signer.token(alg: alg, kid: kid, payload: clock.claims(["role": .string(alg)]))
            let verified = try await verifier.verify(token: token)
            #expect(verified.userID == "user-1")
            guard case .object(let payload) = verified.payload else {
                Issue.record("payload is not an object")
                continue
            }
            #expect(payload["role"] == .string(alg))
            #expect(verified.expiresAt.timeIntervalSince(verified.issuedAt) == 300)
        }
    }

    @Test func sha384And512Variants() async throws {
        let long = TestSigner.hmac(Array(repeating: 7, count: 64))
        let verifier = try makeVerifier([rsa.jwk(kid: "rsa-any"), long.jwk(kid: "hs-any")])
        for (signer, alg, kid) in [
            (rsa, "RS384", "rsa-any"), (rsa, "RS512", "rsa-any"), (long, "HS384", "hs-any"), (long, "HS512", "hs-any"),
        ] {
            _ = try await verifier.verify(token: signer.token(alg: alg, kid: kid, payload: clock.claims()))
        }
        let pinned = try makeVerifier([rsa.jwk(kid: "rsa-256", alg: "RS256")])
        let token = rsa.token(alg: "RS512", kid: "rsa-256", payload: clock.claims())
        await expectFailure(pinned, token: token, code: "PSYNC_S2101", message: "Unexpected token algorithm RS512")
    }

    @Test func concurrentFirstUsesAllSeeTheStaticKeys() async throws {
        let verifier = try allKeys()
        let tokens = [
            rsa.token(alg: "RS256", kid: "rsa-1", payload: clock.claims()),
            secret.token(alg: "HS256", payload: clock.claims()),
        ]
        try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<40 {
                group.addTask { try await verifier.verify(token: tokens[index % 2]).userID }
            }
            for try await userID in group { #expect(userID == "user-1") }
        }
    }

    @Test func kidlessKeyIsTriedByAlgorithm() async throws {
        let verifier = try makeVerifier([ec.jwk(), ed.jwk()])
        _ = try await verifier.verify(token: ec.token(alg: "ES256", payload: clock.claims()))
        _ = try await verifier.verify(token: ed.token(alg: "EdDSA", kid: "unknown", payload: clock.claims()))
    }

    @Test func authorizationHeaderForms() async throws {
        let verifier = try allKeys()
        let token = rsa.token(alg: "RS256", kid: "rsa-1", payload: clock.claims())
        _ = try await verifier.verify(authorization: "Token \(token)")
        _ = try await verifier.verify(authorization: "Bearer \(token)")
        for header in [
            nil, "", "Token", "Token ", "Bearer  \(token)", "Basic \(token)", "token \(token)", "Token \(token) x",
        ] {
            do {
                _ = try await verifier.verify(authorization: header)
                Issue.record("header accepted")
            } catch {
                expectClean(error, token: token, code: "PSYNC_S2106", message: "Authentication required")
            }
        }
    }

    @Test func unsignedAndMalformedTokens() async throws {
        let verifier = try allKeys()
        let none = TestSigner.unsigned.token(alg: "none", payload: clock.claims())
        await expectFailure(verifier, token: none, code: "PSYNC_S2101", message: "\"none\"")
        let noneWithKid = TestSigner.unsigned.token(alg: "none", kid: "rsa-1", payload: clock.claims())
        await expectFailure(verifier, token: noneWithKid, code: "PSYNC_S2101")
        let good = rsa.token(alg: "RS256", kid: "rsa-1", payload: clock.claims())
        let parts = good.split(separator: ".").map(String.init)
        for token in [
            "not-a-jwt", parts[0] + "." + parts[1], good + ".x", parts[0] + ".%%%." + parts[2],
            b64(Array("not json".utf8)) + "." + parts[1] + "." + parts[2],
            parts[0] + "." + b64(Array("[1,2]".utf8)) + "." + parts[2],
        ] {
            await expectFailure(verifier, token: token, code: "PSYNC_S2101", message: "Token is not a well-formed JWT")
        }
    }

    @Test func publicKeyUsedAsHMACSecretIsRefused() async throws {
        let verifier = try makeVerifier([rsa.jwk(kid: "rsa-1"), rsa.jwk()])
        guard case .string(let modulus)? = rsa.jwk()["n"] else { return }
        for secret in [Array(rsa.publicPEM.utf8), CompactJWT.base64URLDecode(modulus.utf8) ?? []] {
            let forged = TestSigner.hmac(secret)
            let withKid = forged.token(alg: "HS256", kid: "rsa-1", payload: clock.claims())
            await expectFailure(
                verifier, token: withKid, code: "PSYNC_S2101", message: "Unexpected token algorithm HS256")
            let withoutKid = forged.token(alg: "HS256", payload: clock.claims())
            await expectFailure(
                verifier, token: withoutKid, code: "PSYNC_S2101", message: "Could not find an appropriate key")
        }
    }

    @Test func kidSelectsTheKeyAndItsAlgorithm() async throws {
        let verifier = try allKeys()
        let wrongFamily = ec.token(alg: "ES256", kid: "rsa-1", payload: clock.claims())
        await expectFailure(
            verifier, token: wrongFamily, code: "PSYNC_S2101", message: "Unexpected token algorithm ES256")
        let otherKeysSignature = TestSigner.rsaB.token(alg: "RS256", kid: "rsa-1", payload: clock.claims())
        await expectFailure(verifier, token: otherKeysSignature, code: "PSYNC_S2102")
        let unknownKid = TestSigner.rsaB.token(alg: "RS256", kid: "nope", payload: clock.claims())
        await expectFailure(
            verifier, token: unknownKid, code: "PSYNC_S2101",
            message:
                "Could not find an appropriate key in the keystore. The key is missing or no key matched the token KID")
    }

    @Test func tamperedPayloadFailsTheSignature() async throws {
        let verifier = try allKeys()
        let parts = rsa.token(alg: "RS256", kid: "rsa-1", payload: clock.claims()).split(separator: ".").map(
            String.init)
        let forged = parts[0] + "." + b64(json(.object(clock.claims(["sub": .string("admin")])))) + "." + parts[2]
        await expectFailure(verifier, token: forged, code: "PSYNC_S2102", message: "signature")
        let truncated = parts[0] + "." + parts[1] + "." + String(parts[2].dropLast(4))
        await expectFailure(verifier, token: truncated, code: "PSYNC_S2102")
    }

    @Test func requiredClaims() async throws {
        let verifier = try allKeys()
        for claim in ["sub", "iat", "exp"] {
            var claims = clock.claims()
            claims[claim] = nil
            let token = rsa.token(alg: "RS256", kid: "rsa-1", payload: claims)
            await expectFailure(
                verifier, token: token, code: "PSYNC_S2101",
                message: "JWT payload is missing a required claim \"\(claim)\"")
        }
        let stringIat = rsa.token(alg: "RS256", kid: "rsa-1", payload: clock.claims(["iat": .string("yesterday")]))
        await expectFailure(verifier, token: stringIat, code: "PSYNC_S2101", message: "\"iat\" claim must be a number")
    }

    @Test func audience() async throws {
        let verifier = try makeVerifier([rsa.jwk(kid: "rsa-1")], audience: ["stack", "other"])
        let listed = rsa.token(
            alg: "RS256", kid: "rsa-1", payload: clock.claims(["aud": .array([.string("x"), .string("other")])]))
        _ = try await verifier.verify(token: listed)
        let wrong = rsa.token(
            alg: "RS256", kid: "rsa-1", payload: clock.claims(["aud": .array([.string("x"), .string("y")])]))
        await expectFailure(verifier, token: wrong, code: "PSYNC_S2105", message: "Unexpected \"aud\" claim value")
        var claims = clock.claims()
        claims["aud"] = nil
        let missing = rsa.token(alg: "RS256", kid: "rsa-1", payload: claims)
        await expectFailure(
            verifier, token: missing, code: "PSYNC_S2105", message: "JWT payload is missing a required claim \"aud\"")
        let nobody = try self.makeVerifier([rsa.jwk(kid: "rsa-1")], audience: [])
        await expectFailure(nobody, token: listed, code: "PSYNC_S2105")
    }

    @Test func expiryHasSixtySecondsOfTolerance() async throws {
        let verifier = try allKeys()
        let token = rsa.token(alg: "RS256", kid: "rsa-1", payload: clock.claims(lifetime: 300))
        clock.advance(300 + 50)
        _ = try await verifier.verify(token: token)
        clock.advance(11)
        await expectFailure(verifier, token: token, code: "PSYNC_S2103", message: "JWT has expired")
    }

    @Test func futureIssuedAtBeyondToleranceIsRefused() async throws {
        let verifier = try allKeys()
        let soon = rsa.token(alg: "RS256", kid: "rsa-1", payload: clock.claims())
        clock.advance(-50)
        _ = try await verifier.verify(token: soon)
        clock.advance(-20)
        await expectFailure(verifier, token: soon, code: "PSYNC_S2101", message: "\"iat\" claim is in the future")
    }

    @Test func lifetimeAtMostOneDay() async throws {
        let verifier = try allKeys()
        _ = try await verifier.verify(
            token: rsa.token(alg: "RS256", kid: "rsa-1", payload: clock.claims(lifetime: 86_400)))
        let long = rsa.token(alg: "RS256", kid: "rsa-1", payload: clock.claims(lifetime: 86_401))
        await expectFailure(
            verifier, token: long, code: "PSYNC_S2104",
            message: "Token must expire in a maximum of 86400 seconds, got 86401s")
    }

    @Test func parametersMustBeAnObject() async throws {
        let verifier = try allKeys()
        let object = rsa.token(
            alg: "RS256", kid: "rsa-1", payload: clock.claims(["parameters": .object(["team": .string("t1")])]))
        _ = try await verifier.verify(token: object)
        for bad: JSONValue in [.array([.string("t1")]), .string("t1"), .integer(3)] {
            let token = rsa.token(alg: "RS256", kid: "rsa-1", payload: clock.claims(["parameters": bad]))
            await expectFailure(
                verifier, token: token, code: "PSYNC_S2101", message: "Payload parameters must be an object")
        }
    }

    @Test func numericSubjectBecomesDecimalText() async throws {
        let verifier = try allKeys()
        let token = rsa.token(alg: "RS256", kid: "rsa-1", payload: clock.claims(["sub": .integer(42)]))
        #expect(try await verifier.verify(token: token).userID == "42")
    }

    @Test func badStaticKeyNamesItsIndexNotItsSecret() throws {
        let keys: [[String: JSONValue]] = [
            rsa.jwk(kid: "ok"), ["kty": .string("oct"), "k": .string("!!not-base64-SECRETVALUE")],
        ]
        do {
            _ = try makeVerifier(keys)
            Issue.record("bad key accepted")
        } catch {
            #expect(error.code == "PSYNC_S2201")
            #expect(error.description.contains("keys[1]"))
            #expect(!error.description.contains("SECRETVALUE"))
        }
        #expect(throws: SyncServiceError.self) { try makeVerifier([rsa.jwk(alg: "ES256")]) }
        #expect(throws: SyncServiceError.self) { try makeVerifier([TestSigner.hmac(Array("too short".utf8)).jwk()]) }
        #expect(throws: SyncServiceError.self) { try makeVerifier([secret.jwk(alg: "HS512")]) }
        #expect(throws: SyncServiceError.self) { try makeVerifier([["kty": .string("RSA"), "n": .string("AQAB")]]) }
    }
}
