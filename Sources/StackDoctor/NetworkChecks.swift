import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import StackConfig
import StackCore
import StackPostgres

/// Checks over the network: the JWKS when the stack runs, free ports when it does not.
enum NetworkChecks {
    static let acceptedAlgorithms: Set<String> = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "EdDSA"]

    static func run(config: StackConfig, stackRunning: Bool, logger: Logger) async -> [DoctorCheck] {
        if stackRunning {
            return [await jwks(uri: config.sync.jwksURI)]
        }
        var checks: [DoctorCheck] = [
            DoctorCheck(
                group: "auth", name: "JWKS serves a usable key", status: .skipped,
                observed: "stack is not running", fix: "run stack up, then stack doctor again")
        ]
        for (key, address) in [("api.listen", config.api.listen), ("sync.listen", config.sync.listen)]
        where address.port != 0 {
            let problem = PortProbe.bindProblem(host: address.host, port: address.port)
            let fix =
                problem == .inUse
                ? "stop the program using port \(address.port) (ss -ltnp 'sport = :\(address.port)'), or set \(key) in \(config.file)"
                : "set \(key) in \(config.file) to an address of this machine (127.0.0.1 by default)"
            checks.append(
                DoctorCheck(
                    group: "ports", name: "\(key) \(address) free", status: problem == nil ? .ok : .error,
                    observed: problem == .inUse
                        ? "in use by another program"
                        : problem?.describe(host: address.host, port: address.port) ?? "free",
                    fix: problem == nil ? nil : fix))
        }
        return checks
    }

    /// Fetches the JWKS and checks it has a key with a kid and an algorithm PowerSync accepts.
    static func jwks(uri: String) async -> DoctorCheck {
        let name = "JWKS serves a usable key"
        do {
            var request = HTTPClientRequest(url: uri)
            request.method = .GET
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
            let body = try await response.body.collect(upTo: 1024 * 1024)
            guard response.status.code == 200 else {
                return DoctorCheck(
                    group: "auth", name: name, status: .error, observed: "\(uri) answered \(response.status.code)",
                    fix:
                        "sync.jwks_uri must point at the auth server's /api/auth/jwks (derived from auth.base_url unless set)"
                )
            }
            let object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
            let keys = object?["keys"] as? [[String: Any]] ?? []
            let usable = keys.filter {
                ($0["kid"] as? String) != nil && acceptedAlgorithms.contains(($0["alg"] as? String) ?? "")
            }
            guard !usable.isEmpty else {
                let seen = keys.map { "kid=\($0["kid"] as? String ?? "none") alg=\($0["alg"] as? String ?? "none")" }
                return DoctorCheck(
                    group: "auth", name: name, status: .error,
                    observed: keys.isEmpty
                        ? "\(uri) has no keys"
                        : "no key with a kid and an accepted alg (\(seen.joined(separator: "; ")))",
                    fix:
                        "every key needs a kid and alg RS256/384/512, ES256/384/512 or EdDSA; stack auth rotate-keys creates one"
                )
            }
            let first = usable[0]
            return DoctorCheck(
                group: "auth", name: name, status: .ok,
                observed:
                    "\(usable.count) key(s), kid \(first["kid"] as? String ?? "") alg \(first["alg"] as? String ?? "")")
        } catch {
            return DoctorCheck(
                group: "auth", name: name, status: .error, observed: "\(uri) unreachable: \(error)",
                fix:
                    "check that the stack runs and that sync.jwks_uri points at it (derived from auth.base_url unless set)"
            )
        }
    }
}
