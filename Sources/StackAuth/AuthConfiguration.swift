import StackConfig
import StackCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Everything the auth server needs from `stack.yaml`, checked once.
public struct AuthConfiguration: Sendable {
    /// The auth base URL's origin: JWT `iss`/`aud`, always a trusted origin, decides cookie security.
    public var origin: AuthOrigin
    /// `auth.secret` (configured or generated): signs cookies, encrypts signing keys.
    public var secret: String
    /// Origins trusted for cookie-bearing requests, besides `origin`.
    public var trustedOrigins: Set<String>
    /// Whether sign-in and sign-up are rate limited.
    public var rateLimit: Bool
    /// JWT lifetime in seconds.
    public var jwtLifetime: Int
    /// Session lifetime and refresh rules.
    public var sessionPolicy: SessionPolicy
    /// Password length rules.
    public var passwordPolicy: PasswordPolicy
    /// What `GET /api/powersync/config` answers as `powersyncUrl`.
    public var syncURL: String
    /// How long a loaded key set is trusted before the `jwks` table is read again (picks up `rotate-keys`).
    public var keyRefreshInterval: TimeInterval
    /// How long a retired key stays in the JWKS after its `expiresAt` (BetterAuth's `jwks.gracePeriod`).
    public var gracePeriod: Int

    /// BetterAuth's default grace period: 30 days.
    public static let defaultGracePeriod = 30 * 24 * 60 * 60

    /// The configuration of `config` with the resolved `secret`.
    public init(config: StackConfig, secret: String) throws(AuthError) {
        origin = try AuthOrigin(baseURL: config.auth.baseURL)
        self.secret = secret
        var trusted = Set<String>()
        for text in config.auth.trustedOrigins {
            trusted.insert((try? AuthOrigin(baseURL: text).value) ?? text)
        }
        trustedOrigins = trusted
        rateLimit = config.auth.rateLimit
        guard (1...JWTIssuer.maximumLifetime).contains(config.auth.jwtExpiresIn) else {
            throw .invalidTokenLifetime(config.auth.jwtExpiresIn)
        }
        jwtLifetime = config.auth.jwtExpiresIn
        sessionPolicy = SessionPolicy()
        passwordPolicy = PasswordPolicy()
        syncURL = config.sync.listen.httpURL
        keyRefreshInterval = 5
        gracePeriod = Self.defaultGracePeriod
    }

    /// Whether a `callbackURL` may be redirected to: a plain local path (BetterAuth's pattern: no `//`, `\\` or
    /// encoded slash after the first `/`, a limited character set), or an absolute URL on a trusted origin.
    public func isTrusted(callbackURL: String) -> Bool {
        if callbackURL.hasPrefix("/") { return Self.isLocalPath(callbackURL) }
        return isTrusted(originHeader: callbackURL)
    }

    // BetterAuth's `/^\/(?!\/|\\|%2f|%5c)[\w\-.\+/@]*(?:\?[\w\-.\+/=&%@]*)?$/` (origin-check.ts).
    static func isLocalPath(_ path: String) -> Bool {
        let lowered = path.lowercased()
        let rest = lowered.dropFirst()
        if rest.hasPrefix("/") || rest.hasPrefix("\\") || rest.hasPrefix("%2f") || rest.hasPrefix("%5c") {
            return false
        }
        let parts = path.dropFirst().split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        func allowed(_ text: Substring, extra: Set<Character>) -> Bool {
            text.allSatisfy { character in
                (character.isASCII && (character.isLetter || character.isNumber)) || character == "_"
                    || "-.+/@".contains(character) || extra.contains(character)
            }
        }
        guard allowed(parts[0], extra: []) else { return false }
        return parts.count == 1 || allowed(parts[1], extra: ["=", "&", "%"])
    }

    /// Whether a request `Origin` (or `Referer`) header value is the base URL's origin or a trusted one.
    public func isTrusted(originHeader: String) -> Bool {
        guard let parsed = try? AuthOrigin(baseURL: originHeader) else { return false }
        return parsed == origin || trustedOrigins.contains(parsed.value)
    }
}
