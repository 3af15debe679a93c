import CryptoExtras
import JWTKit
import NIOPosix

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An RS256 key pair stored as a BetterAuth `jwks` row; its `id` is the JWT `kid`.
public struct SigningKey: Sendable {
    /// The only algorithm stack signs with.
    public static let algorithm = "RS256"

    /// Row id and JWT `kid`.
    public let id: String
    /// The RSA private key (jwt-kit type).
    public let privateKey: JWTKit.Insecure.RSA.PrivateKey
    /// When the key was made.
    public let createdAt: Date
    /// When the key stops signing (rotation); nil for keys without rotation.
    public let expiresAt: Date?

    /// Wraps an existing key.
    public init(id: String, privateKey: JWTKit.Insecure.RSA.PrivateKey, createdAt: Date, expiresAt: Date? = nil) {
        self.id = id
        self.privateKey = privateKey
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    /// A fresh 2048-bit RSA key with a BetterAuth-style id.
    public static func generate(
        id: String = AuthIdentifier.generate(), createdAt: Date = Date(), expiresAt: Date? = nil
    ) throws(AuthError) -> SigningKey {
        do {
            let backing = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            return SigningKey(
                id: id, privateKey: try JWTKit.Insecure.RSA.PrivateKey(backing: backing), createdAt: createdAt,
                expiresAt: expiresAt)
        } catch {
            throw .unsupportedSigningKey("RSA key generation failed: \(error)")
        }
    }

    /// `generate` on a NIO thread pool: a key takes tens of milliseconds of CPU in a release build and seconds in a
    /// debug one, too long to hold a thread of the concurrency pool that serves requests.
    public static func generateOffPool(createdAt: Date = Date(), threadPool: NIOThreadPool = .singleton) async throws
        -> SigningKey
    {
        try await threadPool.runIfActive { try generate(createdAt: createdAt) }
    }

    /// Loads a `jwks` row written by BetterAuth (alg RS256) or by `row(encryption:)`.
    /// `encryption` is nil only when BetterAuth ran with `disablePrivateKeyEncryption`.
    public init(row: JWKSRow, encryption: KeyEncryption?) throws(AuthError) {
        guard row.alg == nil || row.alg == Self.algorithm else {
            throw .unsupportedSigningKey("row \(row.id) has alg \(row.alg ?? "nil")")
        }
        let jwkText = try Self.privateJWKText(fromColumn: row.privateKey, encryption: encryption)
        guard let jwk = try? JSONDecoder().decode(RSAJWK.self, from: Data(jwkText.utf8)), jwk.kty == "RSA",
            let d = jwk.d
        else {
            throw .unsupportedSigningKey("row \(row.id) does not hold a private RSA JWK")
        }
        do {
            let key =
                if let p = jwk.p, let q = jwk.q {
                    try JWTKit.Insecure.RSA.PrivateKey(
                        modulus: jwk.n, exponent: jwk.e, privateExponent: d, prime1: p, prime2: q)
                } else {
                    try JWTKit.Insecure.RSA.PrivateKey(modulus: jwk.n, exponent: jwk.e, privateExponent: d)
                }
            self.init(id: row.id, privateKey: key, createdAt: row.createdAt, expiresAt: row.expiresAt)
        } catch {
            throw .unsupportedSigningKey("row \(row.id): the RSA numbers are not a valid key of >= 2048 bits")
        }
    }

    /// The `jwks` row BetterAuth would write: JWKs as JSON text, the private one encrypted unless `encryption` is nil.
    public func row(encryption: KeyEncryption?) -> JWKSRow {
        let privateText = privateJWK.jsonText
        let privateColumn = encryption.map { Self.jsonStringLiteral($0.encrypt(privateText)) } ?? privateText
        return JWKSRow(
            id: id, publicKey: privateJWK.publicOnly.jsonText, privateKey: privateColumn, createdAt: createdAt,
            expiresAt: expiresAt, alg: Self.algorithm, crv: nil)
    }

    /// The entry for `GET /jwks`: `{alg, kty, n, e, kid}`, as BetterAuth renders it.
    public var publicJWK: [String: String] {
        let jwk = privateJWK
        return ["alg": Self.algorithm, "kty": jwk.kty, "n": jwk.n, "e": jwk.e, "kid": id]
    }

    var privateJWK: RSAJWK {
        // jwt-kit's private key always exports a PKCS#1 two-prime key that the parser accepts.
        guard let numbers = RSAPrivateKeyNumbers(pkcs1DER: Array(privateKey.derRepresentation)) else {
            preconditionFailure("swift-crypto exported an RSA private key that is not PKCS#1 DER")
        }
        return RSAJWK(numbers: numbers)
    }

    /// The private JWK text inside a `privateKey` column: `"<hex or $ba$ envelope>"` (encrypted) or `{…}` (plain).
    static func privateJWKText(fromColumn column: String, encryption: KeyEncryption?) throws(AuthError) -> String {
        let trimmed = column.drop { $0 == " " || $0 == "\n" }
        guard trimmed.first == "\"" else { return column }
        guard let encrypted = try? JSONDecoder().decode(String.self, from: Data(trimmed.utf8)) else {
            throw .malformedEncryptedKey("the column is not a JSON string")
        }
        guard let encryption else {
            throw .unsupportedSigningKey("the private key is encrypted but no auth secret was given to decrypt it")
        }
        return try encryption.decrypt(encrypted)
    }

    static func jsonStringLiteral(_ text: String) -> String {
        // Hex and `$ba$n$` need no escaping; JSONEncoder keeps this correct for any text.
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data(), as: UTF8.self)
    }
}
