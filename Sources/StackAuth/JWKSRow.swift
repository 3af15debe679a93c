#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One row of BetterAuth's `jwks` table (jwt plugin schema.ts), column for column.
public struct JWKSRow: Sendable, Equatable {
    /// `id`: also the JWT `kid`.
    public var id: String
    /// `publicKey`: JSON text of the public JWK (`{"kty":"RSA","n":…,"e":…}`).
    public var publicKey: String
    /// `privateKey`: JSON text of the private JWK, or a JSON string of its encryption (see `KeyEncryption`).
    public var privateKey: String
    /// `createdAt`.
    public var createdAt: Date
    /// `expiresAt`: set only with key rotation; BetterAuth keeps expired keys in the JWKS for a 30-day grace.
    public var expiresAt: Date?
    /// `alg`: `RS256`; nil in rows written before BetterAuth added the column (then the configured alg applies).
    public var alg: String?
    /// `crv`: nil for RSA.
    public var crv: String?

    /// A row with every column given.
    public init(
        id: String, publicKey: String, privateKey: String, createdAt: Date, expiresAt: Date? = nil,
        alg: String? = SigningKey.algorithm, crv: String? = nil
    ) {
        self.id = id
        self.publicKey = publicKey
        self.privateKey = privateKey
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.alg = alg
        self.crv = crv
    }
}
