import Logging
import PostgresNIO
import StackAuth
import StackConfig
import StackPostgres

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `stack seed`: demo users through the auth code, their rows through batched inserts, optionally after a reset.
public struct Seeder: Sendable {
    /// What to do.
    public struct Options: Sendable {
        /// Multiplier of the templated documents (and their versions and group links).
        public var scale: Int
        /// Wipe app tables, auth users and sync storage first.
        public var reset: Bool
        /// Allow `reset` on a database stack does not manage.
        public var force: Bool
        /// Whether the database is the managed cluster of the config.
        public var databaseIsManaged: Bool

        /// Options; the defaults seed once at scale 1.
        public init(scale: Int = 1, reset: Bool = false, force: Bool = false, databaseIsManaged: Bool) {
            self.scale = scale
            self.reset = reset
            self.force = force
            self.databaseIsManaged = databaseIsManaged
        }
    }

    let config: StackConfig
    let data: SampleData
    let auth: AuthConfiguration
    let client: PostgresClient
    let logger: Logger

    /// A seeder of `data` into the database of `config` reached through `client` (which must be running).
    public init(config: StackConfig, data: SampleData, auth: AuthConfiguration, client: PostgresClient, logger: Logger)
    {
        self.config = config
        self.data = data
        self.auth = auth
        self.client = client
        self.logger = logger
    }

    /// Everything that can be checked without a database: scale, users, schema fit, reset permission.
    public static func check(config: StackConfig, data: SampleData, options: Options) throws {
        guard (1...10_000).contains(options.scale) else { throw SeedError.badScale(options.scale) }
        try SeedUsers.check(data.users, policy: PasswordPolicy())
        let problems = SeedWriter.problems(schema: config.schema)
        guard problems.isEmpty else { throw SeedError.schemaMismatch(problems, config: config.file) }
        if options.reset && !options.databaseIsManaged && !options.force {
            let url = config.postgres.url.flatMap { try? DatabaseURL(parsing: $0) }
            throw SeedError.resetNeedsForce(url?.description ?? "the postgres.url database")
        }
    }

    /// Prepares the database as `stack up` does (auth migrations, app tables, publication), resets if asked,
    /// then creates the users and inserts their rows. `progress` runs after each chunk.
    public func run(
        options: Options, progress: @Sendable (SeedProgress) -> Void = { _ in }
    ) async throws -> SeedReport {
        try Self.check(config: config, data: data, options: options)
        let reset = SeedReset(config: config, client: client, logger: logger)
        if options.reset {
            // Refuse before changing anything.
            let active = try await reset.activeSlots()
            guard active.isEmpty else { throw SeedError.replicationRunning(active) }
        }
        try await Migrator.run(AuthMigrations.all, namespace: AuthMigrations.namespace, client: client, logger: logger)
        _ = try await SchemaApplier(schema: config.schema, publication: config.sync.publication)
            .apply(client: client, logger: logger)
        let resetTables = options.reset ? try await reset.run() : []
        let service = try AuthService(configuration: auth, client: client, logger: logger)
        let users = try await SeedUsers(service: service, logger: logger).ensure(data.users)

        let generator = SeedGenerator(data: data, scale: options.scale)
        let writer = try SeedWriter(schema: config.schema, client: client, logger: logger)
        let total = generator.rowCounts().values.reduce(0, +)
        var outcomes: [String: SeedWriter.Outcome] = [:]
        var done = 0
        let started = ContinuousClock.now
        let work = data.users.indices.flatMap { index in
            generator.workItems(for: data.users[index]).map { (index, $0) }
        }
        func generate(_ position: Int) -> [SeedRows] {
            let (index, item) = work[position]
            return generator.rows(for: item, user: data.users[index], userIndex: index, ownerID: users[index].id)
        }
        // A two-stage pipeline: Postgres inserts chunk n while this task generates chunk n + 1.
        var next = work.isEmpty ? [] : generate(0)
        for position in work.indices {
            let chunk = next
            async let written = writer.write(chunk)
            if position + 1 < work.count { next = generate(position + 1) }
            for (table, outcome) in try await written {
                outcomes[table, default: .init()].inserted += outcome.inserted
                outcomes[table, default: .init()].existing += outcome.existing
                done += outcome.inserted + outcome.existing
            }
            progress(SeedProgress(done: done, total: total))
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let tables = config.schema.syncedTables.map { table in
            SeedReport.Table(
                name: table.name, inserted: outcomes[table.name]?.inserted ?? 0,
                existing: outcomes[table.name]?.existing ?? 0)
        }
        let inserted = tables.map(\.inserted).reduce(0, +)
        return SeedReport(
            users: users, tables: tables, inserted: inserted, existing: tables.map(\.existing).reduce(0, +),
            scale: options.scale, resetTables: resetTables, seconds: seconds,
            rowsPerSecond: seconds > 0 ? Int(Double(inserted) / seconds) : 0,
            nothingChanged: inserted == 0 && !users.contains(where: \.created) && resetTables.isEmpty)
    }
}
