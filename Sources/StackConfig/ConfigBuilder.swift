import Foundation
import StackCore
import Yams

/// Builds a `StackConfig` from the YAML tree, section by section, applying defaults and derivations.
struct ConfigBuilder {
    let reader: NodeReader
    let loader: ConfigLoader

    static let topLevelKeys = ["state_dir", "postgres", "auth", "api", "sync", "schema", "sync_rules"]

    func build(_ root: Node) -> StackConfig? {
        guard let entries = reader.mapping(root, "", known: Self.topLevelKeys) else { return nil }
        let sections = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        let stateDir = loader.absolute(sections["state_dir"].flatMap { reader.string($0, "state_dir") } ?? ".stack")
        let postgres = buildPostgres(sections["postgres"], stateDir: stateDir)
        let api = buildAPI(sections["api"])
        let auth = buildAuth(sections["auth"], api: api)
        let sync = buildSync(sections["sync"], auth: auth)
        let schema = SchemaBuilder(reader: reader).build(sections["schema"])
        let syncRules = SyncRulesBuilder(reader: reader, loader: loader).build(sections["sync_rules"])
        if api.listen == sync.listen && api.listen.port != 0 {
            reader.report(
                sections["sync"], "sync.listen",
                "is the same address as api.listen (\(api.listen)); give each its own port")
        }
        return StackConfig(
            file: reader.file, stateDir: stateDir, postgres: postgres, auth: auth, api: api, sync: sync,
            schema: schema, syncRules: syncRules)
    }

    private func buildPostgres(_ node: Node?, stateDir: String) -> PostgresSettings {
        var url: String?
        var managed = ManagedPostgresSettings(
            dataDir: stateDir + "/postgres", port: nil, database: "stack", maxSlotWALKeepSize: "1GB")
        guard let node, let entries = reader.mapping(node, "postgres", known: ["url", "managed"]) else {
            return PostgresSettings(url: url, managed: managed)
        }
        for (key, _, value) in entries {
            switch key {
            case "url":
                url = reader.string(value, "postgres.url")
                if let text = url, !(text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")) {
                    reader.report(value, "postgres.url", "must start with postgres:// or postgresql://")
                }
            default:
                let known = ["data_dir", "port", "database", "max_slot_wal_keep_size"]
                for (key, _, value) in reader.mapping(value, "postgres.managed", known: known) ?? [] {
                    let path = "postgres.managed.\(key)"
                    switch key {
                    case "data_dir": reader.string(value, path).map { managed.dataDir = loader.absolute($0) }
                    case "port":
                        managed.port = reader.int(value, path)
                        if let port = managed.port, !(1024...65535).contains(port) {
                            reader.report(value, path, "must be between 1024 and 65535 (or absent to pick a free port)")
                        }
                    case "database": managed.database = identifier(value, path) ?? managed.database
                    default: reader.string(value, path).map { managed.maxSlotWALKeepSize = $0 }
                    }
                }
            }
        }
        return PostgresSettings(url: url, managed: managed)
    }

    /// Without `base_url` the auth server is where the API listens: a config that only moves `api.listen` keeps the
    /// JWT issuer, the sync audience and the JWKS URL pointing at the running server.
    private func buildAuth(_ node: Node?, api: APISettings) -> AuthSettings {
        var settings = AuthSettings(
            baseURL: api.listen.httpURL, secret: nil, jwtExpiresIn: 15 * 60, trustedOrigins: [], rateLimit: true)
        guard let node else { return settings }
        let known = ["base_url", "secret", "jwt", "trusted_origins", "rate_limit"]
        for (key, _, value) in reader.mapping(node, "auth", known: known) ?? [] {
            let path = "auth.\(key)"
            switch key {
            case "base_url":
                guard let text = reader.string(value, path) else { continue }
                if URLParts(text) == nil {
                    reader.report(value, path, "'\(text)' is not an http(s) URL such as http://127.0.0.1:3011")
                }
                settings.baseURL = text
            case "secret":
                // An empty value (e.g. `${BETTER_AUTH_SECRET:-}`) means "generate one".
                settings.secret = reader.string(value, path).flatMap { $0.isEmpty ? nil : $0 }
                if let secret = settings.secret, secret.count < 16 {
                    // The value itself is never echoed: it is a secret.
                    reader.report(
                        value, path, "is too short (\(secret.count) characters); use at least 16 random characters")
                }
            case "jwt":
                for (key, _, value) in reader.mapping(value, path, known: ["expires_in"]) ?? [] {
                    guard let text = reader.string(value, "auth.jwt.\(key)") else { continue }
                    guard let seconds = DurationText.seconds(text) else {
                        reader.report(value, "auth.jwt.\(key)", "'\(text)' is not a duration such as 15m, 1h or 900s")
                        continue
                    }
                    if seconds <= 0 || seconds > 86_400 {
                        reader.report(
                            value, "auth.jwt.\(key)", "must be between 1s and 24h (PowerSync rejects longer tokens)")
                    }
                    settings.jwtExpiresIn = seconds
                }
            case "trusted_origins":
                settings.trustedOrigins = (reader.sequence(value, path, allowSingle: true) ?? []).compactMap {
                    reader.string($0, path)
                }
            default:
                settings.rateLimit = reader.bool(value, path) ?? settings.rateLimit
            }
        }
        return settings
    }

    private func buildAPI(_ node: Node?) -> APISettings {
        var settings = APISettings(listen: ListenAddress(host: "127.0.0.1", port: 3011), maxBodyBytes: 10 * 1024 * 1024)
        guard let node else { return settings }
        for (key, _, value) in reader.mapping(node, "api", known: ["listen", "max_body_bytes"]) ?? [] {
            switch key {
            case "listen": listen(value, "api.listen").map { settings.listen = $0 }
            default:
                if let bytes = reader.int(value, "api.max_body_bytes") {
                    if bytes < 1024 { reader.report(value, "api.max_body_bytes", "must be at least 1024") }
                    settings.maxBodyBytes = bytes
                }
            }
        }
        return settings
    }

    private func buildSync(_ node: Node?, auth: AuthSettings) -> SyncSettings {
        let origin = URLParts(auth.baseURL)?.origin ?? auth.baseURL
        var settings = SyncSettings(
            listen: ListenAddress(host: "127.0.0.1", port: 8080), audience: [origin],
            jwksURI: origin + "/api/auth/jwks", jwksKeys: [], publication: "powersync", storageSchema: "powersync",
            audienceDerived: true, jwksURIDerived: true)
        guard let node else { return settings }
        let known = [
            "listen", "audience", "jwks_uri", "jwks", "publication", "storage_schema", "max_connections", "max_buckets",
            "compact_every",
        ]
        for (key, _, value) in reader.mapping(node, "sync", known: known) ?? [] {
            let path = "sync.\(key)"
            switch key {
            case "listen": listen(value, path).map { settings.listen = $0 }
            case "audience":
                settings.audience = (reader.sequence(value, path, allowSingle: true) ?? []).compactMap {
                    reader.string($0, path)
                }
                settings.audienceDerived = false
            case "jwks_uri":
                guard let text = reader.string(value, path) else { continue }
                if URLParts(text) == nil { reader.report(value, path, "'\(text)' is not an http(s) URL") }
                settings.jwksURI = text
                settings.jwksURIDerived = false
            case "jwks":
                for (key, _, value) in reader.mapping(value, path, known: ["keys"]) ?? [] {
                    settings.jwksKeys = jwks(value, "\(path).\(key)")
                }
            case "publication": settings.publication = identifier(value, path) ?? settings.publication
            case "compact_every":
                guard let text = reader.string(value, path) else { continue }
                if text == "0" || text == "off" {
                    settings.compactEvery = 0
                } else if let seconds = DurationText.seconds(text), seconds >= 60 {
                    settings.compactEvery = seconds
                } else {
                    reader.report(value, path, "'\(text)' is not a duration of at least 1m (such as 30m or 6h), or off")
                }
            case "max_connections", "max_buckets":
                guard let number = reader.int(value, path) else { continue }
                if number < 1 { reader.report(value, path, "must be at least 1") }
                if key == "max_connections" { settings.maxConnections = number } else { settings.maxBuckets = number }
            default: settings.storageSchema = identifier(value, path) ?? settings.storageSchema
            }
        }
        return settings
    }

    private func jwks(_ node: Node, _ path: String) -> [[String: JSONValue]] {
        var keys: [[String: JSONValue]] = []
        for (index, item) in (reader.sequence(node, path) ?? []).enumerated() {
            let itemPath = "\(path)[\(index)]"
            guard case .object(let key)? = reader.json(item, itemPath) else {
                reader.report(item, itemPath, "each key must be a JWK mapping (kty, kid, alg, …)")
                continue
            }
            let kty = key["kty"]?.stringValue
            if !["RSA", "EC", "OKP", "oct"].contains(kty ?? "") {
                reader.report(item, itemPath, "kty must be RSA, EC, OKP or oct (found \(kty ?? "none"))")
            }
            if key["kid"]?.stringValue == nil {
                reader.report(item, itemPath, "every key needs a kid: tokens pick their key by kid")
            }
            if kty == "oct", let alg = key["alg"]?.stringValue, alg != "HS256" {
                reader.report(item, itemPath, "symmetric (oct) keys must use alg HS256, found \(alg)")
            }
            keys.append(key)
        }
        return keys
    }

    private func listen(_ node: Node, _ path: String) -> ListenAddress? {
        guard let text = reader.string(node, path) else { return nil }
        guard let address = ListenAddress(parsing: text) else {
            reader.report(node, path, "'\(text)' is not host:port such as 127.0.0.1:3011")
            return nil
        }
        return address
    }

    func identifier(_ node: Node, _ path: String) -> String? {
        guard let text = reader.string(node, path) else { return nil }
        guard Identifier.isValid(text) else {
            reader.report(
                node, path,
                "'\(text)' is not a valid name: use lower-case letters, digits and _, starting with a letter or _")
            return nil
        }
        return text
    }
}
