#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An RSA JWK as `jose.exportJWK` writes it (RFC 7518 §6.3), all numbers unpadded base64url.
struct RSAJWK: Codable, Equatable {
    var kty: String
    var n: String
    var e: String
    var d: String?
    var p: String?
    var q: String?
    var dp: String?
    var dq: String?
    var qi: String?

    /// The public half (`kty`, `n`, `e`).
    var publicOnly: RSAJWK {
        RSAJWK(kty: kty, n: n, e: e)
    }

    init(
        kty: String = "RSA", n: String, e: String, d: String? = nil, p: String? = nil, q: String? = nil,
        dp: String? = nil, dq: String? = nil, qi: String? = nil
    ) {
        (self.kty, self.n, self.e, self.d, self.p, self.q, self.dp, self.dq, self.qi) = (kty, n, e, d, p, q, dp, dq, qi)
    }

    /// All eight numbers of a private key.
    init(numbers: RSAPrivateKeyNumbers) {
        let b64 = { (bytes: [UInt8]) in ByteEncoding.base64URL(bytes) }
        self.init(
            n: b64(numbers.modulus), e: b64(numbers.publicExponent), d: b64(numbers.privateExponent),
            p: b64(numbers.prime1), q: b64(numbers.prime2), dp: b64(numbers.exponent1), dq: b64(numbers.exponent2),
            qi: b64(numbers.coefficient))
    }

    /// Compact JSON text, as `JSON.stringify` stores it.
    var jsonText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        // Encoding plain strings cannot fail.
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}
