import Foundation

/// The parts of an http(s) URL that matter for origins and audiences.
public struct URLParts: Sendable, Equatable {
    /// `http` or `https`, lower-cased.
    public var scheme: String
    /// Host, lower-cased.
    public var host: String
    /// Explicit or default port.
    public var port: Int
    /// Path without a trailing slash ("" for the root).
    public var path: String

    /// Parses an absolute http(s) URL; nil for anything else.
    public init?(_ text: String) {
        guard let components = URLComponents(string: text),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host?.lowercased(), !host.isEmpty
        else { return nil }
        self.scheme = scheme
        self.host = host
        self.port = components.port ?? (scheme == "https" ? 443 : 80)
        var path = components.path
        while path.hasSuffix("/") { path.removeLast() }
        self.path = path
    }

    /// `scheme://host[:port]`, the port omitted when it is the scheme's default.
    public var origin: String {
        let defaultPort = scheme == "https" ? 443 : 80
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return port == defaultPort ? "\(scheme)://\(hostPart)" : "\(scheme)://\(hostPart):\(port)"
    }
}
