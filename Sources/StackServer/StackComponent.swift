import Hummingbird
import Logging
import PostgresNIO
import ServiceLifecycle
import StackConfig
import StackPostgres

/// What every component gets when `stack up` assembles the application.
public struct StackContext: Sendable {
    /// The configuration.
    public let config: StackConfig
    /// The shared Postgres pool (running for the whole life of the application).
    public let client: PostgresClient
    /// Where the database is (password included: for libpq replication connections, never for logs).
    public let databaseURL: DatabaseURL
    /// Whether Postgres can be reached; HTTP requests that need it answer 503 while it cannot.
    public let availability: DatabaseAvailability
    /// `auth.secret`, configured or generated.
    public let secret: String
    /// Readiness of every component; services wait on `database` before touching tables.
    public let gate: ReadinessGate
    /// The application logger.
    public let logger: Logger
}

/// A feature plugged into `stack up` (auth, upload, replication, sync): its migrations, routes and services.
///
/// Components are listed in `StackComponents.make`; each feature adds one file and one line there.
public protocol StackComponent: Sendable {
    /// Numbered migrations of the component's own tables, applied before any route or service runs.
    var migrations: [MigrationSet] { get }
    /// Adds routes to the app backend server (`api.listen`).
    func addAPIRoutes(to router: Router<StackRequestContext>)
    /// Adds routes to the sync server (`sync.listen`).
    func addSyncRoutes(to router: Router<StackRequestContext>)
    /// Long-running services, started after the database is set up, stopped before Postgres.
    var services: [any Service] { get }
    /// Components that must be ready before the HTTP servers accept requests (gate names).
    var readinessNames: Set<String> { get }
}

extension StackComponent {
    public var migrations: [MigrationSet] { [] }
    public func addAPIRoutes(to router: Router<StackRequestContext>) {}
    public func addSyncRoutes(to router: Router<StackRequestContext>) {}
    public var services: [any Service] { [] }
    public var readinessNames: Set<String> { [] }
}

/// The migrations of one namespace.
public struct MigrationSet: Sendable {
    /// Namespace (`auth`, `upload`, `buckets`, …).
    public let namespace: String
    /// Its migrations in order.
    public let migrations: [Migration]

    /// Creates a set.
    public init(namespace: String, migrations: [Migration]) {
        self.namespace = namespace
        self.migrations = migrations
    }
}
