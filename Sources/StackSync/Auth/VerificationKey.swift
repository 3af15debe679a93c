import JWTKit
import StackCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One public (or, for static `oct` keys, shared) key a token may be signed with, parsed from a JWK.
///
/// The key decides which token algorithms it accepts (`KeySpec.matchesAlgorithm`): its `alg` if set, else its
/// family. An RSA key never verifies an HS* token, so its public key can never be misused as an HMAC secret.
struct VerificationKey: Sendable {
    /// The parsed key material, one case per family.
    enum Material: Sendable {
        case rsa(Insecure.RSA.PublicKey)
        case p256(ES256PublicKey)
        case p384(ES384PublicKey)
        case p521(ES512PublicKey)
        case ed25519(EdDSA.PublicKey)
        case secret(HMACKey)
    }

    /// JWK `kid`; nil makes this a "wildcard" key tried by signature.
    let kid: String?
    /// JWK `kty`.
    let keyType: String
    /// JWK `alg`, if set.
    let declaredAlgorithm: String?
    /// Token algorithms this key verifies.
    let algorithms: [String]
    let material: Material
    /// jwt-kit verifiers per algorithm, made by `prepared()`.
    private(set) var verifiers: [String: any JWTAlgorithm] = [:]

    /// `kid=…, kty=RSA, alg=RS256` for log lines (never key material).
    var summary: String {
        "kid=\(kid ?? "-"), kty=\(keyType), alg=\(declaredAlgorithm ?? "-")"
    }

    /// True when a token with `algorithm` may be verified by this key.
    func accepts(_ algorithm: String) -> Bool { verifiers[algorithm] != nil }

    /// True when `signature` signs `input` for `algorithm`; malformed signatures are simply not valid.
    func isValidSignature(_ signature: [UInt8], for input: [UInt8], algorithm: String) -> Bool {
        guard let verifier = verifiers[algorithm] else { return false }
        return (try? verifier.verify(signature, signs: input)) ?? false
    }

    /// Parses `jwk`; `allowSecrets` admits `kty: oct` (static config only, never a fetched JWKS).
    /// Errors are short reasons without key material, for "…keys[3]: reason".
    init(jwk: [String: StackCore.JSONValue], allowSecrets: Bool) throws(KeyProblem) {
        guard let keyType = jwk["kty"]?.stringValue else { throw KeyProblem("has no \"kty\"") }
        let declared = try Self.optionalString("alg", in: jwk)
        let kid = try Self.optionalString("kid", in: jwk)
        let family: [String]
        let material: Material
        switch keyType {
        case "RSA":
            family = ["RS256", "RS384", "RS512"]
            let n = try Self.requiredString("n", in: jwk)
            let e = try Self.requiredString("e", in: jwk)
            guard let key = try? Insecure.RSA.PublicKey(modulus: n, exponent: e) else {
                throw KeyProblem("\"n\"/\"e\" are not a valid RSA public key of at least 2048 bits")
            }
            material = .rsa(key)
        case "EC":
            let curve = try Self.requiredString("crv", in: jwk)
            let x = try Self.requiredString("x", in: jwk)
            let y = try Self.requiredString("y", in: jwk)
            let parsed: Material?
            switch curve {
            case "P-256": (family, parsed) = (["ES256"], (try? ES256PublicKey(parameters: (x, y))).map(Material.p256))
            case "P-384": (family, parsed) = (["ES384"], (try? ES384PublicKey(parameters: (x, y))).map(Material.p384))
            case "P-521": (family, parsed) = (["ES512"], (try? ES512PublicKey(parameters: (x, y))).map(Material.p521))
            default: throw KeyProblem("EC curve \(CompactJWT.quoted(curve)) is not supported (P-256, P-384, P-521)")
            }
            guard let parsed else { throw KeyProblem("\"x\"/\"y\" are not a point on \(curve)") }
            material = parsed
        case "OKP":
            family = ["EdDSA"]
            let curve = try Self.requiredString("crv", in: jwk)
            guard curve == "Ed25519" else { throw KeyProblem("OKP curve \(CompactJWT.quoted(curve)) is not Ed25519") }
            guard let key = try? EdDSA.PublicKey(x: try Self.requiredString("x", in: jwk), curve: .ed25519) else {
                throw KeyProblem("\"x\" is not an Ed25519 public key")
            }
            material = .ed25519(key)
        case "oct" where allowSecrets:
            guard let secret = CompactJWT.base64URLDecode(try Self.requiredString("k", in: jwk).utf8) else {
                throw KeyProblem("\"k\" is not base64url")
            }
            // RFC 7518 §3.2: an HS key is at least as long as its hash (jwt-kit asserts it too). A kid-less key
            // without `alg` serves the HS algorithms its length allows.
            let minimumBytes = ["HS256": 32, "HS384": 48, "HS512": 64]
            family = ["HS256", "HS384", "HS512"].filter { secret.count >= minimumBytes[$0, default: 0] }
            if let declared, let needed = minimumBytes[declared], secret.count < needed {
                throw KeyProblem("\"k\" is \(secret.count) bytes, \(declared) needs at least \(needed)")
            }
            guard !family.isEmpty else { throw KeyProblem("\"k\" is \(secret.count) bytes, HS256 needs at least 32") }
            material = .secret(HMACKey(from: secret))
        case "oct":
            throw KeyProblem("kty \"oct\" (shared secret) is only accepted in static keys")
        default:
            throw KeyProblem("kty \(CompactJWT.quoted(keyType)) is not supported (RSA, EC, OKP, oct)")
        }
        if let declared, !family.contains(declared) {
            throw KeyProblem("alg \(CompactJWT.quoted(declared)) does not fit kty \(keyType)")
        }
        self.kid = kid
        self.keyType = keyType
        self.declaredAlgorithm = declared
        self.algorithms = declared.map { [$0] } ?? family
        self.material = material
    }

    /// This key with a jwt-kit verifier for each of its algorithms (jwt-kit builds them only inside its actor).
    func prepared() async -> VerificationKey {
        var copy = self
        for algorithm in algorithms {
            let collection = JWTKeyCollection()
            let digest: DigestAlgorithm =
                algorithm.hasSuffix("384") ? .sha384 : algorithm.hasSuffix("512") ? .sha512 : .sha256
            switch material {
            case .rsa(let key): await collection.add(rsa: key, digestAlgorithm: digest)
            case .p256(let key): await collection.add(ecdsa: key)
            case .p384(let key): await collection.add(ecdsa: key)
            case .p521(let key): await collection.add(ecdsa: key)
            case .ed25519(let key): await collection.add(eddsa: key)
            case .secret(let key): await collection.add(hmac: key, digestAlgorithm: digest)
            }
            copy.verifiers[algorithm] = try? await collection.getKey()
        }
        return copy
    }

    private static func optionalString(_ name: String, in jwk: [String: StackCore.JSONValue]) throws(KeyProblem)
        -> String?
    {
        switch jwk[name] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        default: throw KeyProblem("\"\(name)\" is not a string")
        }
    }

    private static func requiredString(_ name: String, in jwk: [String: StackCore.JSONValue]) throws(KeyProblem)
        -> String
    {
        guard let value = try optionalString(name, in: jwk) else { throw KeyProblem("has no \"\(name)\"") }
        return value
    }
}

/// Why a JWK was refused, without its key material.
struct KeyProblem: Error, Sendable {
    /// The reason, e.g. `has no "n"`.
    let reason: String

    init(_ reason: String) { self.reason = reason }
}
