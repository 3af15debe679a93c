import Foundation
import Testing

@testable import StackAuth

@Suite("JWTIssuer: BetterAuth-shaped RS256 tokens and JWKS")
struct JWTIssuerTests {
    let origin = try! AuthOrigin(baseURL: "https://auth.example.com/api/auth")

    @Test("joserfc verifies our token against our JWKS: alg, kid, sub, aud, iss, exp", needsPython)
    func joserfc() async throws {
        let key = try await SigningKey.generateOffPool()
        let issuer = try await JWTIssuer(signingKey: key, origin: origin, lifetime: 3600)
        let token = try await issuer.issue(for: .sample)
        let jwks = String(decoding: issuer.jwksJSON, as: UTF8.self)
        let result = try CrossCheck.json("jwt-verify-joserfc", jwks, token, "https://auth.example.com", key.id)
        let header = result["header"] as? [String: Any]
        let claims = result["claims"] as? [String: Any]
        #expect(header?["alg"] as? String == "RS256")
        #expect(header?["kid"] as? String == key.id)
        #expect(claims?["sub"] as? String == AuthUser.sample.id)
        #expect(claims?["aud"] as? String == "https://auth.example.com")
        #expect(claims?["iss"] as? String == "https://auth.example.com")
        let iat = try #require(claims?["iat"] as? Int)
        #expect(claims?["exp"] as? Int == iat + 3600)
        // BetterAuth copies the user into the payload with JavaScript date strings and a null image.
        #expect(claims?["email"] as? String == "ada@example.com")
        #expect(claims?["emailVerified"] as? Bool == false)
        #expect(claims?["createdAt"] as? String == "2024-05-01T12:00:00.123Z")
        #expect(claims?["updatedAt"] as? String == "2024-05-01T12:00:01.000Z")
        #expect(claims?["image"] is NSNull)
    }

    @Test("PyJWT verifies it too, and the JWKS lists old keys after the signing key", needsPython)
    func pyjwtAndRotation() async throws {
        let old = try await SigningKey.generateOffPool()
        let current = try await SigningKey.generateOffPool()
        let issuer = try await JWTIssuer(signingKey: current, verificationKeys: [old], origin: origin)
        let token = try await issuer.issue(for: .sample)
        let jwks = String(decoding: issuer.jwksJSON, as: UTF8.self)
        let claims = try CrossCheck.json("jwt-verify-pyjwt", jwks, token, "https://auth.example.com")
        #expect(claims["sub"] as? String == AuthUser.sample.id)
        let document = try JSONSerialization.jsonObject(with: issuer.jwksJSON) as? [String: [[String: String]]]
        #expect(document?["keys"]?.map { $0["kid"] } == [current.id, old.id])
        #expect(document?["keys"]?.first?.keys.sorted() == ["alg", "e", "kid", "kty", "n"])
    }

    @Test("the JWKS body is the same bytes for the same keys, members in BetterAuth's order")
    func jwksIsStable() async throws {
        let keys = [try await SigningKey.generateOffPool(), try await SigningKey.generateOffPool()]
        let first = String(decoding: JWTIssuer.jwksDocument(keys), as: UTF8.self)
        for _ in 0..<20 { #expect(String(decoding: JWTIssuer.jwksDocument(keys), as: UTF8.self) == first) }
        let members = try #require(
            try NSRegularExpression(pattern: #""([a-z]+)":"#).matches(
                in: first, range: NSRange(first.startIndex..., in: first)
            ).map { (first as NSString).substring(with: $0.range(at: 1)) })
        #expect(members == ["keys"] + Array(repeating: ["alg", "kty", "n", "e", "kid"], count: 2).flatMap { $0 })
        let document = try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: [[String: String]]]
        #expect(document?["keys"]?.map { $0["kid"] } == keys.map(\.id))
        #expect(document?["keys"]?.first?["n"] == keys[0].publicJWK["n"])
    }

    @Test("tokens signed by the old key still verify after rotation")
    func rotatedKeyStillVerifies() async throws {
        let old = try await SigningKey.generateOffPool()
        let token = try await JWTIssuer(signingKey: old, origin: origin).issue(for: .sample)
        let rotated = try await JWTIssuer(
            signingKey: SigningKey.generateOffPool(), verificationKeys: [old], origin: origin)
        #expect(try await rotated.verify(token).sub == AuthUser.sample.id)
    }

    @Test("verify rejects expiry, another origin, another key and tampering")
    func verifyRejects() async throws {
        let key = try await SigningKey.generateOffPool()
        let issuer = try await JWTIssuer(signingKey: key, origin: origin, lifetime: 60)
        let now = Date()
        let token = try await issuer.issue(for: .sample, now: now)
        #expect(try await issuer.verify(token, now: now).exp == Int(now.timeIntervalSince1970) + 60)
        await #expect(throws: AuthError.self) { try await issuer.verify(token, now: now.addingTimeInterval(61)) }
        let other = try await JWTIssuer(signingKey: key, origin: AuthOrigin(baseURL: "https://evil.example"))
        await #expect(throws: AuthError.self) { try await other.verify(token) }
        let stranger = try await JWTIssuer(signingKey: SigningKey.generateOffPool(), origin: origin)
        await #expect(throws: AuthError.self) { try await stranger.verify(token) }
        var parts = token.split(separator: ".").map(String.init)
        parts[1] = ByteEncoding.base64URL(Array(#"{"sub":"someone-else"}"#.utf8))
        await #expect(throws: AuthError.self) { try await issuer.verify(parts.joined(separator: ".")) }
    }

    @Test("lifetimes outside 1 s … 24 h are refused", arguments: [0, -5, 86_401])
    func lifetimeBounds(_ lifetime: Int) async throws {
        let key = try await SigningKey.generateOffPool()
        await #expect(throws: AuthError.invalidTokenLifetime(lifetime)) {
            try await JWTIssuer(signingKey: key, origin: origin, lifetime: lifetime)
        }
    }

    @Test("a 24 h lifetime is allowed and iat is whole seconds")
    func maximumLifetime() async throws {
        let issuer = try await JWTIssuer(signingKey: SigningKey.generateOffPool(), origin: origin, lifetime: 86_400)
        let now = Date(timeIntervalSince1970: 1_800_000_000.987)
        let claims = try await issuer.verify(issuer.issue(for: .sample, now: now), now: now)
        #expect(claims.iat == 1_800_000_000 && claims.exp == 1_800_086_400)
    }
}

@Suite("AuthOrigin")
struct AuthOriginTests {
    @Test(
        "origin drops path and default port, lower-cases",
        arguments: [
            ("https://Auth.Example.com/api/auth", "https://auth.example.com", true),
            ("http://localhost:8080/api/auth", "http://localhost:8080", false),
            ("https://example.com:443", "https://example.com", true),
            ("http://example.com:80/", "http://example.com", false),
        ])
    func origins(_ input: String, _ origin: String, _ secure: Bool) throws {
        let parsed = try AuthOrigin(baseURL: input)
        #expect(parsed.value == origin && parsed.isSecure == secure)
    }

    @Test("non-http base URLs are refused", arguments: ["", "ftp://x.com", "/api/auth", "localhost:8080"])
    func invalid(_ input: String) {
        #expect(throws: AuthError.self) { try AuthOrigin(baseURL: input) }
    }
}
