#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The origin of the auth base URL (`new URL(baseURL).origin`): JWT `iss` and `aud`, cookie security.
public struct AuthOrigin: Sendable, Hashable, CustomStringConvertible {
    /// `scheme://host[:port]`, lower-case, default ports dropped, no path.
    public let value: String
    /// Whether the scheme is https (then cookies are `Secure` and `__Secure-` prefixed).
    public let isSecure: Bool

    /// The origin of `baseURL` (e.g. `https://api.example.com/api/auth` ⇒ `https://api.example.com`).
    public init(baseURL: String) throws(AuthError) {
        guard let url = URL(string: baseURL), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else { throw .invalidBaseURL(baseURL) }
        let defaultPort = scheme == "https" ? 443 : 80
        let port = url.port.flatMap { $0 == defaultPort ? nil : $0 }
        value = "\(scheme)://\(host.lowercased())" + (port.map { ":\($0)" } ?? "")
        isSecure = scheme == "https"
    }

    /// The origin text.
    public var description: String { value }
}
