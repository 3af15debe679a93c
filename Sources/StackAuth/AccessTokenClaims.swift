import JWTKit

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The payload of the JWT from `GET /api/auth/token`: BetterAuth's session user plus `sub`, `iat`, `exp`,
/// `iss` and `aud` (jwt plugin sign.ts `getJwtToken`).
public struct AccessTokenClaims: JWTPayload, Equatable {
    /// User id (BetterAuth copies every user field into the payload).
    public var id: String
    /// User name.
    public var name: String
    /// User email.
    public var email: String
    /// Whether the email is verified.
    public var emailVerified: Bool
    /// User image, JSON `null` when absent.
    public var image: String?
    /// `createdAt` as a JavaScript date string.
    public var createdAt: String
    /// `updatedAt` as a JavaScript date string.
    public var updatedAt: String
    /// Subject: the user id.
    public var sub: String
    /// Issued-at, whole seconds since 1970.
    public var iat: Int
    /// Expiry, whole seconds since 1970.
    public var exp: Int
    /// Issuer: the auth base URL origin.
    public var iss: String
    /// Audience: the auth base URL origin (a single string, as jose's `setAudience(string)` writes).
    public var aud: String

    /// Claims for `user` issued at `issuedAt` (whole seconds) and valid for `lifetime` seconds.
    public init(user: AuthUser, issuedAt: Int, lifetime: Int, origin: String) {
        id = user.id
        name = user.name
        email = user.email
        emailVerified = user.emailVerified
        image = user.image
        createdAt = JavaScriptDate.string(user.createdAt)
        updatedAt = JavaScriptDate.string(user.updatedAt)
        sub = user.id
        iat = issuedAt
        exp = issuedAt + lifetime
        iss = origin
        aud = origin
    }

    enum CodingKeys: String, CodingKey {
        case id, name, email, emailVerified, image, createdAt, updatedAt, sub, iat, exp, iss, aud
    }

    /// Encodes every key, `image` as `null` when nil (as `JSON.stringify` does for a null column).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(email, forKey: .email)
        try container.encode(emailVerified, forKey: .emailVerified)
        try container.encode(image, forKey: .image)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(sub, forKey: .sub)
        try container.encode(iat, forKey: .iat)
        try container.encode(exp, forKey: .exp)
        try container.encode(iss, forKey: .iss)
        try container.encode(aud, forKey: .aud)
    }

    /// No checks here: `JWTIssuer.verify` checks expiry, issuer and audience against its clock and configuration.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}
