import StackCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A JWS compact serialization split into its parts, before any signature check (RFC 7515 §7.1).
///
/// Every failure is `PSYNC_S2101` and never quotes the token.
struct CompactJWT: Sendable {
    /// The algorithms a token may name; `none` and anything else are refused before a key is looked up.
    static let supportedAlgorithms: Set<String> = [
        "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "EdDSA",
    ]

    /// PowerSync's message for anything that does not parse.
    static let malformed = SyncServiceError.authGeneric("Token is not a well-formed JWT. Check the token format.")

    /// Header `alg`.
    let algorithm: String
    /// Header `kid`, if any.
    let keyID: String?
    /// The decoded payload; always an object.
    let payload: [String: StackCore.JSONValue]
    /// `base64url(header) "." base64url(payload)`, the bytes the signature covers.
    let signingInput: [UInt8]
    /// The decoded signature.
    let signature: [UInt8]

    /// Splits and decodes `token`.
    init(_ token: String) throws(SyncServiceError) {
        let parts = token.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3,
            let headerBytes = Self.base64URLDecode(parts[0]),
            let payloadBytes = Self.base64URLDecode(parts[1]),
            let signature = Self.base64URLDecode(parts[2]),
            !JSONNesting.exceedsLimit(headerBytes), !JSONNesting.exceedsLimit(payloadBytes),
            case .object(let header)? = try? JSONDecoder().decode(StackCore.JSONValue.self, from: Data(headerBytes)),
            case .object(let payload)? = try? JSONDecoder().decode(StackCore.JSONValue.self, from: Data(payloadBytes))
        else {
            throw Self.malformed
        }
        guard case .string(let algorithm)? = header["alg"] else { throw Self.malformed }
        guard Self.supportedAlgorithms.contains(algorithm) else {
            // Covers `alg: none`: an unsigned token is never accepted, whatever the keys are.
            throw .authGeneric(
                "Unsupported token algorithm \(Self.quoted(algorithm)); use one of RS256/384/512, "
                    + "ES256/384/512, EdDSA or (static keys only) HS256/384/512")
        }
        // A critical extension we do not implement must make the token invalid (RFC 7515 §4.1.11).
        guard header["crit"] == nil else { throw .authGeneric("Token header has unsupported \"crit\" parameters") }
        switch header["kid"] {
        case .string(let kid)?: self.keyID = kid
        case nil, .null?: self.keyID = nil
        default: throw Self.malformed
        }
        self.algorithm = algorithm
        self.payload = payload
        self.signature = signature
        self.signingInput = Array(token.utf8.prefix(parts[0].count + 1 + parts[1].count))
    }

    /// Strict unpadded base64url (the only form RFC 7515 allows); nil for any other character.
    static func base64URLDecode(_ text: some Collection<UInt8>) -> [UInt8]? {
        var standard = [UInt8]()
        standard.reserveCapacity(text.count + 3)
        for byte in text {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                standard.append(byte)
            case UInt8(ascii: "-"): standard.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): standard.append(UInt8(ascii: "/"))
            default: return nil
            }
        }
        let padding = (4 - standard.count % 4) % 4
        guard padding != 3 else { return nil }
        standard.append(contentsOf: repeatElement(UInt8(ascii: "="), count: padding))
        return Data(base64Encoded: Data(standard)).map { Array($0) }
    }

    /// A header value for a message: JSON-quoted and cut to 32 characters.
    static func quoted(_ value: String) -> String {
        let cut = value.count > 32 ? String(value.prefix(32)) + "…" : value
        let data = (try? JSONEncoder().encode(cut)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
