import Foundation

/// A host and port a server binds to, written `host:port` in the config (`127.0.0.1:3011`, `[::1]:8080`).
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// The host or IP literal (without brackets).
    public var host: String
    /// The TCP port; 0 asks the system for a free one.
    public var port: Int

    /// Creates an address.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `[v6]:port` or a bare `port` (then the host is 127.0.0.1).
    public init?(parsing text: String) {
        let text = text.trimmingCharacters(in: .whitespaces)
        if let port = Int(text) {
            self.init(host: "127.0.0.1", port: port)
        } else if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()) else { return nil }
            self.init(host: host, port: port)
        } else {
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
                return nil
            }
            let host = String(text[..<colon])
            guard !host.isEmpty, !host.contains(":") else { return nil }
            self.init(host: host, port: port)
        }
        guard (0...65535).contains(port) else { return nil }
    }

    /// `host:port` with IPv6 hosts in brackets.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The base URL a client on this machine uses (`http://127.0.0.1:3011`); a wildcard bind maps to loopback.
    public var httpURL: String {
        let reachable = (host == "0.0.0.0" || host == "::") ? "127.0.0.1" : host
        return "http://" + ListenAddress(host: reachable, port: port).description
    }
}
