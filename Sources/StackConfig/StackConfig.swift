import StackCore

/// The whole `stack.yaml`, typed, with every default filled in and every derived value computed.
public struct StackConfig: Sendable {
    /// Absolute path of the file this configuration was read from.
    public var file: String
    /// Directory for everything `stack` keeps on disk (managed cluster, logs, run state, devices).
    public var stateDir: String
    /// Where the database is and how the managed cluster is set up.
    public var postgres: PostgresSettings
    /// The BetterAuth-compatible auth server.
    public var auth: AuthSettings
    /// The app backend HTTP server (auth, upload, config).
    public var api: APISettings
    /// The PowerSync-compatible sync service.
    public var sync: SyncSettings
    /// The app's data model: the single source of the Postgres DDL, the client schema and generated code.
    public var schema: AppSchema
    /// The sync rules (`bucket_definitions`), inline or from a file.
    public var syncRules: SyncRulesDocument?

    /// Creates a configuration; `ConfigLoader` is the usual way to get one.
    public init(
        file: String, stateDir: String, postgres: PostgresSettings, auth: AuthSettings, api: APISettings,
        sync: SyncSettings, schema: AppSchema, syncRules: SyncRulesDocument?
    ) {
        self.file = file
        self.stateDir = stateDir
        self.postgres = postgres
        self.auth = auth
        self.api = api
        self.sync = sync
        self.schema = schema
        self.syncRules = syncRules
    }
}

/// `postgres:` — an external server by URL, or the managed cluster.
public struct PostgresSettings: Sendable {
    /// The external server's URL; nil means the managed cluster under the state directory.
    public var url: String?
    /// Settings of the managed cluster (ignored with `url`).
    public var managed: ManagedPostgresSettings

    /// Creates the settings.
    public init(url: String?, managed: ManagedPostgresSettings) {
        self.url = url
        self.managed = managed
    }

    /// True when `stack` runs its own cluster.
    public var isManaged: Bool { url == nil }
}

/// `postgres.managed:` — the cluster `stack up` creates with initdb and runs with pg_ctl.
public struct ManagedPostgresSettings: Sendable {
    /// Data directory (absolute).
    public var dataDir: String
    /// Fixed port, or nil to choose a free one on first run and remember it.
    public var port: Int?
    /// Name of the application database created in the cluster.
    public var database: String
    /// `max_slot_wal_keep_size` for the cluster (e.g. `1GB`).
    public var maxSlotWALKeepSize: String

    /// Creates the settings.
    public init(dataDir: String, port: Int?, database: String, maxSlotWALKeepSize: String) {
        self.dataDir = dataDir
        self.port = port
        self.database = database
        self.maxSlotWALKeepSize = maxSlotWALKeepSize
    }
}

/// `auth:` — BetterAuth-compatible settings.
public struct AuthSettings: Sendable {
    /// The public base URL of the auth server; also the JWT `iss` and `aud`.
    public var baseURL: String
    /// The secret that signs cookies and encrypts signing keys; nil ⇒ generated once under the state directory.
    public var secret: String?
    /// JWT lifetime in seconds (`auth.jwt.expires_in`, at most 24 h).
    public var jwtExpiresIn: Int
    /// Extra origins trusted for cookie-bearing requests (the base URL is always trusted).
    public var trustedOrigins: [String]
    /// Whether sign-in and sign-up are rate limited.
    public var rateLimit: Bool

    /// Creates the settings.
    public init(baseURL: String, secret: String?, jwtExpiresIn: Int, trustedOrigins: [String], rateLimit: Bool) {
        self.baseURL = baseURL
        self.secret = secret
        self.jwtExpiresIn = jwtExpiresIn
        self.trustedOrigins = trustedOrigins
        self.rateLimit = rateLimit
    }

    /// The base URL's origin (`scheme://host[:port]`), the value of `iss` and `aud`.
    public var origin: String { URLParts(baseURL)?.origin ?? baseURL }
}

/// `api:` — the app backend HTTP server.
public struct APISettings: Sendable {
    /// Bind address.
    public var listen: ListenAddress
    /// Largest accepted upload body in bytes.
    public var maxBodyBytes: Int

    /// Creates the settings.
    public init(listen: ListenAddress, maxBodyBytes: Int) {
        self.listen = listen
        self.maxBodyBytes = maxBodyBytes
    }
}

/// `sync:` — the PowerSync-compatible sync service.
public struct SyncSettings: Sendable {
    /// Bind address.
    public var listen: ListenAddress
    /// Accepted JWT audiences (derived from `auth.base_url` unless set).
    public var audience: [String]
    /// Where the sync service fetches signing keys (derived from `auth.base_url` unless set).
    public var jwksURI: String
    /// Extra static JWKs (JSON objects), as PowerSync's `client_auth.jwks.keys`.
    public var jwksKeys: [[String: JSONValue]]
    /// Publication the replicator reads.
    public var publication: String
    /// Postgres schema of the bucket storage.
    public var storageSchema: String
    /// True when `audience` was derived rather than written.
    public var audienceDerived: Bool
    /// True when `jwks_uri` was derived rather than written.
    public var jwksURIDerived: Bool
    /// Concurrent `/sync/stream` connections allowed (`max_connections`, PowerSync's default 200).
    public var maxConnections = 200
    /// Buckets one connection may have (`max_buckets`, PowerSync's default 1000).
    public var maxBuckets = 1000
    /// Seconds between automatic compactions of the served buckets (`compact_every`; 0 = never).
    public var compactEvery = 3600

    /// Creates the settings.
    public init(
        listen: ListenAddress, audience: [String], jwksURI: String, jwksKeys: [[String: JSONValue]],
        publication: String, storageSchema: String, audienceDerived: Bool, jwksURIDerived: Bool
    ) {
        self.listen = listen
        self.audience = audience
        self.jwksURI = jwksURI
        self.jwksKeys = jwksKeys
        self.publication = publication
        self.storageSchema = storageSchema
        self.audienceDerived = audienceDerived
        self.jwksURIDerived = jwksURIDerived
    }
}
