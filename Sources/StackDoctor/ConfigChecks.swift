import StackConfig
import StackCore

/// Checks that need only the config.
enum ConfigChecks {
    /// The sync audience must equal the auth base URL's origin exactly (scheme, host, port).
    static func audience(_ config: StackConfig) -> [DoctorCheck] {
        let origin = config.auth.origin
        let audiences = config.sync.audience
        let name = "sync audience matches auth.base_url"
        if audiences.contains(origin) {
            let how = config.sync.audienceDerived ? " (derived)" : ""
            return [
                DoctorCheck(group: "auth", name: name, status: .ok, observed: audiences.joined(separator: ", ") + how)
            ]
        }
        // Tell which part differs: that is what people get wrong.
        var detail = ""
        if let expected = URLParts(origin), let first = audiences.first.flatMap(URLParts.init) {
            var parts: [String] = []
            if first.scheme != expected.scheme { parts.append("scheme \(first.scheme) ≠ \(expected.scheme)") }
            if first.host != expected.host { parts.append("host \(first.host) ≠ \(expected.host)") }
            if first.port != expected.port { parts.append("port \(first.port) ≠ \(expected.port)") }
            if !parts.isEmpty { detail = " (" + parts.joined(separator: ", ") + ")" }
        }
        return [
            DoctorCheck(
                group: "auth", name: name, status: .error,
                observed: "audience \(audiences.joined(separator: ", ")) but tokens carry aud = \(origin)\(detail)",
                fix:
                    "remove sync.audience from \(config.file) (it is derived from auth.base_url), or set sync.audience: [\(origin)]"
            )
        ]
    }
}
