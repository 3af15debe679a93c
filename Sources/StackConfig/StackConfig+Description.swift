import StackCore

// Generic code prints these types whole: swift-service-lifecycle logs every service with its stored properties at
// debug level (`stack up -v`), and an interpolated value is printed field by field. These descriptions keep what
// helps to read a log and never contain the auth secret, a JWKS key or a database password.

extension StackConfig: CustomStringConvertible {
    /// The file and the sections, secrets left out.
    public var description: String {
        "StackConfig(file: \(file), stateDir: \(stateDir), postgres: \(postgres), auth: \(auth), api: \(api), "
            + "sync: \(sync), tables: \(schema.tables.count), rules: \(syncRules == nil ? "none" : "set"))"
    }
}

extension PostgresSettings: CustomStringConvertible {
    /// The external URL without its password, or the managed cluster's directory and database.
    public var description: String {
        if let url { return "PostgresSettings(url: \(Redaction.url(url)))" }
        return "PostgresSettings(managed: \(managed.dataDir), database: \(managed.database))"
    }
}

extension AuthSettings: CustomStringConvertible {
    /// The base URL and token lifetime; whether a secret is set, never the secret.
    public var description: String {
        "AuthSettings(baseURL: \(baseURL), secret: \(secret == nil ? "generated" : "set (redacted)"), "
            + "jwtExpiresIn: \(jwtExpiresIn)s, trustedOrigins: \(trustedOrigins), rateLimit: \(rateLimit))"
    }
}

extension APISettings: CustomStringConvertible {
    /// Where the API listens.
    public var description: String { "APISettings(listen: \(listen), maxBodyBytes: \(maxBodyBytes))" }
}

extension SyncSettings: CustomStringConvertible {
    /// Where the service listens and what it trusts; configured keys by id only.
    public var description: String {
        let keys = jwksKeys.map { key -> String in
            if case .string(let kid) = key["kid"] { return kid }
            return "(no kid)"
        }
        return "SyncSettings(listen: \(listen), audience: \(audience), jwksURI: \(Redaction.url(jwksURI)), "
            + "jwksKeys: \(keys) (redacted), publication: \(publication), storageSchema: \(storageSchema))"
    }
}
