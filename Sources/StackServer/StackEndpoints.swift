import Foundation
import StackCore

/// Where a running stack can be reached: printed by `stack up`, `stack status` and passed to `--exec`.
public struct StackEndpoints: Codable, Sendable, Equatable {
    /// Process id of `stack up`.
    public var pid: Int32
    /// The auth server base (`…/api/auth`).
    public var authURL: String
    /// The JWKS the sync service verifies tokens with.
    public var jwksURL: String
    /// `PUT` endpoint for device uploads.
    public var uploadURL: String
    /// The sync service base URL (what clients get as `powersyncUrl`).
    public var syncURL: String
    /// The database URL (password included only where the user asked for machine output).
    public var databaseURL: String
    /// The config file in use.
    public var configPath: String
    /// Whether Postgres is the managed cluster.
    public var managedPostgres: Bool

    enum CodingKeys: String, CodingKey {
        case pid
        case authURL = "auth_url"
        case jwksURL = "jwks_url"
        case uploadURL = "upload_url"
        case syncURL = "sync_url"
        case databaseURL = "database_url"
        case configPath = "config_path"
        case managedPostgres = "managed_postgres"
    }

    /// `STACK_*` environment variables for `--exec` and `-o env`.
    public var environment: [(String, String)] {
        [
            ("STACK_AUTH_URL", authURL), ("STACK_JWKS_URL", jwksURL), ("STACK_UPLOAD_URL", uploadURL),
            ("STACK_SYNC_URL", syncURL), ("STACK_DATABASE_URL", databaseURL), ("STACK_CONFIG", configPath),
            ("STACK_PID", String(pid)),
        ]
    }

    /// The same endpoints with the database password masked.
    public var redacted: StackEndpoints {
        var copy = self
        copy.databaseURL = Redaction.url(databaseURL)
        return copy
    }
}
