import JWTKit
import StackCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Signs BetterAuth-shaped RS256 access tokens and publishes the JWKS (`GET /api/auth/token`, `GET /api/auth/jwks`).
public struct JWTIssuer: Sendable {
    /// BetterAuth's default lifetime (`jwt.expirationTime` "15m").
    public static let defaultLifetime = 15 * 60
    /// PowerSync's `token_max_expiration`: longer tokens are refused by the sync service.
    public static let maximumLifetime = 24 * 60 * 60

    /// `iss` and `aud` of every token.
    public let origin: AuthOrigin
    /// Seconds from `iat` to `exp`.
    public let lifetime: Int
    /// The `kid` tokens are signed with.
    public let signingKeyID: String
    /// The `GET /jwks` body: `{"keys":[{alg,kty,n,e,kid}, …]}`, signing key first.
    public let jwksJSON: Data

    private let keys: JWTKeyCollection

    /// An issuer signing with `signingKey`; `verificationKeys` (older, rotated keys) are published and accepted too.
    public init(
        signingKey: SigningKey, verificationKeys: [SigningKey] = [], origin: AuthOrigin,
        lifetime: Int = JWTIssuer.defaultLifetime
    ) async throws(AuthError) {
        guard (1...Self.maximumLifetime).contains(lifetime) else { throw .invalidTokenLifetime(lifetime) }
        let all = [signingKey] + verificationKeys.filter { $0.id != signingKey.id }
        let collection = JWTKeyCollection()
        for key in all {
            await collection.add(rsa: key.privateKey, digestAlgorithm: .sha256, kid: JWKIdentifier(string: key.id))
        }
        self.origin = origin
        self.lifetime = lifetime
        self.signingKeyID = signingKey.id
        self.keys = collection
        self.jwksJSON = Self.jwksDocument(all)
    }

    /// A signed token for `user`, `iat` = `now` in whole seconds, `exp` = `iat` + `lifetime`.
    public func issue(for user: AuthUser, now: Date = Date()) async throws(AuthError) -> String {
        let issuedAt = Int(now.timeIntervalSince1970.rounded(.down))
        let claims = AccessTokenClaims(user: user, issuedAt: issuedAt, lifetime: lifetime, origin: origin.value)
        do {
            return try await keys.sign(claims, kid: JWKIdentifier(string: signingKeyID))
        } catch {
            throw .tokenFailure("signing with kid \(signingKeyID) failed: \(error)")
        }
    }

    /// The claims of a token this issuer (or a verification key) signed, after checking signature, kid,
    /// expiry (no leeway), issuer and audience.
    public func verify(_ token: String, now: Date = Date()) async throws(AuthError) -> AccessTokenClaims {
        let claims: AccessTokenClaims
        do {
            claims = try await keys.verify(token, as: AccessTokenClaims.self)
        } catch {
            throw .invalidToken("signature or format check failed (\(error))")
        }
        guard Double(claims.exp) > now.timeIntervalSince1970 else { throw .invalidToken("expired at \(claims.exp)") }
        guard claims.iss == origin.value else { throw .invalidToken("issuer '\(claims.iss)' is not \(origin.value)") }
        guard claims.aud == origin.value else { throw .invalidToken("audience '\(claims.aud)' is not \(origin.value)") }
        return claims
    }

    /// The JWKS JSON for `keys`, entries in BetterAuth's shape and member order (`alg, kty, n, e, kid`), written
    /// by hand: JSONEncoder's member order varies between runs here, so the same keys gave different bodies.
    public static func jwksDocument(_ keys: [SigningKey]) -> Data {
        var json = #"{"keys":["#
        for (index, key) in keys.enumerated() {
            let jwk = key.publicJWK
            if index > 0 { json += "," }
            json +=
                #"{"alg":"# + JSONString.quoted(SigningKey.algorithm) + #","kty":"RSA","n":"#
                + JSONString.quoted(jwk["n"] ?? "") + #","e":"# + JSONString.quoted(jwk["e"] ?? "") + #","kid":"#
                + JSONString.quoted(key.id) + "}"
        }
        json += "]}"
        return Data(json.utf8)
    }
}
