import Crypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// BetterAuth's signed session cookie and the bearer plugin's header: the value is `<token>.<sig>` with
/// sig = standard padded base64 of HMAC-SHA256(secret, token), URL-encoded in the cookie (better-call).
public struct SessionCookie: Sendable {
    /// Cookie name on http base URLs.
    public static let plainName = "better-auth.session_token"
    /// Cookie name on https base URLs.
    public static let secureName = "__Secure-better-auth.session_token"
    /// BetterAuth's default session lifetime (`session.expiresIn`, 7 days), also the cookie Max-Age.
    public static let defaultMaxAge = 7 * 24 * 60 * 60

    /// The cookie name for this origin.
    public let name: String
    /// Whether cookies get `Secure` (https origins).
    public let isSecure: Bool
    /// Cookie `Max-Age` in seconds.
    public let maxAge: Int
    private let key: SymmetricKey

    /// Cookies signed with `secret` (BetterAuth's `secret`), named and secured after `origin`.
    public init(secret: String, origin: AuthOrigin, maxAge: Int = SessionCookie.defaultMaxAge) {
        isSecure = origin.isSecure
        name = origin.isSecure ? Self.secureName : Self.plainName
        self.maxAge = maxAge
        key = SymmetricKey(data: Array(secret.utf8))
    }

    /// `<token>.<base64 HMAC>`, not URL-encoded: the `set-auth-token` header and bearer value.
    public func signedValue(for token: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(token.utf8), using: key)
        return "\(token).\(Data(mac).base64EncodedString())"
    }

    /// The `Set-Cookie` value after sign-in / sign-up; `rememberMe: false` makes it a browser-session cookie.
    public func setCookieHeader(for token: String, rememberMe: Bool = true) -> String {
        let value = URIComponent.encode(signedValue(for: token))
        return "\(name)=\(value)" + (rememberMe ? "; Max-Age=\(maxAge)" : "") + attributes
    }

    /// The `Set-Cookie` value that deletes the cookie (sign-out).
    public var expiredSetCookieHeader: String {
        "\(name)=; Max-Age=0" + attributes
    }

    // better-call's attribute order: Max-Age, Path, HttpOnly, Secure, SameSite.
    private var attributes: String {
        "; Path=/; HttpOnly" + (isSecure ? "; Secure" : "") + "; SameSite=Lax"
    }

    /// The session token of a signed value, or nil if the signature is wrong (better-call `getSignedCookie`).
    public func verify(signedValue: String) -> String? {
        guard let dot = signedValue.lastIndex(of: "."), dot > signedValue.startIndex else { return nil }
        let token = String(signedValue[..<dot])
        let signature = signedValue[signedValue.index(after: dot)...]
        // better-call accepts only the 44-character padded standard base64 of a SHA-256 MAC.
        guard signature.utf8.count == 44, signature.hasSuffix("="),
            !signature.contains("-"), !signature.contains("_"),
            let mac = Data(base64Encoded: String(signature))
        else { return nil }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Array(token.utf8), using: key) ? token : nil
    }

    /// The session token from a `Cookie` request header, or nil when absent or badly signed.
    public func token(cookieHeader: String?) -> String? {
        guard let cookieHeader, let value = Self.cookies(in: cookieHeader)[name] else { return nil }
        return verify(signedValue: value)
    }

    /// The session token from `Authorization: Bearer …` (bearer plugin): a signed value, URL-encoded or not,
    /// or a raw token, which the plugin signs itself (its default `requireSignature: false`).
    public func token(authorization: String?) -> String? {
        guard let authorization, authorization.utf8.count > 7, authorization.prefix(7).lowercased() == "bearer "
        else { return nil }
        let raw = Self.trimmed(authorization.dropFirst(7))
        guard !raw.isEmpty else { return nil }
        let signed: String
        if raw.contains(".") {
            signed = raw.contains("%") ? URIComponent.decodeOrKeep(raw) : raw
        } else {
            signed = signedValue(for: raw)
        }
        // The plugin checks `split(".")[0]` against `split(".")[1]`, so a token with more dots never passes.
        guard signed.split(separator: ".", omittingEmptySubsequences: false).count == 2 else { return nil }
        return verify(signedValue: signed)
    }

    /// The request's session token: a valid bearer token wins over the cookie, as the bearer plugin
    /// rewrites the request cookie only when its token verifies.
    public func sessionToken(cookieHeader: String?, authorization: String?) -> String? {
        token(authorization: authorization) ?? token(cookieHeader: cookieHeader)
    }

    /// Cookie name → URL-decoded value; the first occurrence of a name wins (better-call `parseCookies`).
    static func cookies(in header: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in header.split(separator: ";") {
            guard let equals = pair.firstIndex(of: "=") else { continue }
            let name = trimmed(pair[..<equals])
            var value = trimmed(pair[pair.index(after: equals)...])
            if value.hasPrefix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            if result[name] == nil { result[name] = URIComponent.decodeOrKeep(value) }
        }
        return result
    }

    /// JavaScript's `trim()` for the whitespace that occurs in headers.
    static func trimmed(_ text: Substring) -> String {
        String(text.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
