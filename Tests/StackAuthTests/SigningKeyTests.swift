import Foundation
import Testing

@testable import StackAuth

@Suite("SigningKey: RS256 keys as BetterAuth jwks rows")
struct SigningKeyTests {
    let secret = "jwks-secret-for-tests-0123456789"

    @Test("the private JWK carries the same numbers Python's cryptography reads from the PEM", needsPython)
    func jwkMatchesPythonNumbers() async throws {
        let key = try await SigningKey.generateOffPool()
        let expected = try CrossCheck.json("rsa-numbers", key.privateKey.pemRepresentation)
        let jwk = try JSONSerialization.jsonObject(with: Data(key.privateJWK.jsonText.utf8)) as? [String: String]
        for field in ["kty", "n", "e", "d", "p", "q", "dp", "dq", "qi"] {
            #expect(jwk?[field] == expected[field] as? String, "JWK field \(field)")
        }
    }

    @Test("a row round-trips: public JWK, encrypted private JWK as a JSON string, alg RS256")
    func rowRoundTrip() async throws {
        let encryption = try KeyEncryption(secret: secret)
        let key = try await SigningKey.generateOffPool(createdAt: Date(timeIntervalSince1970: 1_700_000_000))
        let row = key.row(encryption: encryption)
        #expect(row.id == key.id && row.id.count == 32)
        #expect(row.alg == "RS256" && row.crv == nil)
        #expect(row.privateKey.hasPrefix("\"") && row.privateKey.hasSuffix("\""))
        let publicJWK = try JSONSerialization.jsonObject(with: Data(row.publicKey.utf8)) as? [String: String]
        #expect(publicJWK == ["kty": "RSA", "n": key.publicJWK["n"]!, "e": "AQAB"])
        let loaded = try SigningKey(row: row, encryption: encryption)
        #expect(loaded.privateKey == key.privateKey)
        #expect(loaded.createdAt == key.createdAt)
    }

    @Test("a row with an unencrypted private JWK (disablePrivateKeyEncryption) loads without a secret")
    func plainRow() async throws {
        let key = try await SigningKey.generateOffPool()
        let row = key.row(encryption: nil)
        #expect(row.privateKey.hasPrefix("{"))
        #expect(try SigningKey(row: row, encryption: nil).privateKey == key.privateKey)
    }

    @Test(
        "a BetterAuth-written row (Python JWK, PyNaCl-encrypted, JSON-stringified) signs tokens Python verifies",
        needsPython)
    func betterAuthRow() async throws {
        let privateJWK = try CrossCheck.run("rsa-generate-jwk")
        let encrypted = try CrossCheck.run("xchacha-encrypt", secret, privateJWK)
        let jwk = try JSONSerialization.jsonObject(with: Data(privateJWK.utf8)) as! [String: String]
        let publicJWK = #"{"kty":"RSA","n":"\#(jwk["n"]!)","e":"\#(jwk["e"]!)"}"#
        let row = JWKSRow(
            id: "baRowId0123456789abcdefghijklmno", publicKey: publicJWK, privateKey: "\"\(encrypted)\"",
            createdAt: Date(), alg: nil)
        let key = try SigningKey(row: row, encryption: KeyEncryption(secret: secret))
        let origin = try AuthOrigin(baseURL: "https://auth.example.com")
        let issuer = try await JWTIssuer(signingKey: key, origin: origin)
        let token = try await issuer.issue(for: .sample)
        let claims = try CrossCheck.json("jwt-verify-with-jwk", publicJWK, token, origin.value)
        #expect(claims["sub"] as? String == AuthUser.sample.id)
    }

    @Test("wrong secret, other algorithms and broken JSON are typed errors")
    func badRows() async throws {
        let key = try await SigningKey.generateOffPool()
        let row = key.row(encryption: try KeyEncryption(secret: secret))
        #expect(throws: AuthError.keyDecryptionFailed) {
            try SigningKey(row: row, encryption: KeyEncryption(secret: "x"))
        }
        #expect(throws: AuthError.self) { try SigningKey(row: row, encryption: nil) }
        var eddsa = key.row(encryption: nil)
        eddsa.alg = "EdDSA"
        #expect(throws: AuthError.self) { try SigningKey(row: eddsa, encryption: nil) }
        var broken = key.row(encryption: nil)
        broken.privateKey = #"{"kty":"OKP","crv":"Ed25519","x":"abc","d":"def"}"#
        #expect(throws: AuthError.self) { try SigningKey(row: broken, encryption: nil) }
    }
}

extension AuthUser {
    static let sample = AuthUser(
        id: "u1BcDeFgHiJkLmNoPqRsTuVwXyZ01234", name: "Ada Lovelace", email: "ada@example.com", emailVerified: false,
        image: nil, createdAt: Date(timeIntervalSince1970: 1_714_564_800.123),
        updatedAt: Date(timeIntervalSince1970: 1_714_564_801))
}
