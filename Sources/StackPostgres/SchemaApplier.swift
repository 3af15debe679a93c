import Logging
import PostgresNIO
import StackConfig
import StackCore

/// Brings Postgres in line with the config on `stack up`: additive DDL only, then the publication.
public struct SchemaApplier: Sendable {
    /// What one run did.
    public struct Outcome: Sendable {
        /// Statements applied.
        public var applied: [SchemaDiff.Change]
        /// Differences left for a person (also shown by `stack doctor`).
        public var reported: [SchemaDiff.Change]
        /// Whether the publication was created or changed.
        public var publicationChanged: Bool
    }

    /// The config schema.
    public let schema: AppSchema
    /// Publication name.
    public let publication: String

    /// Creates an applier.
    public init(schema: AppSchema, publication: String) {
        self.schema = schema
        self.publication = publication
    }

    /// Computes the diff against live Postgres.
    public func diff(client: PostgresClient, logger: Logger) async throws -> SchemaDiff {
        let names = schema.syncedTables.map(\.name)
        let live = try await LiveSchema.read(tables: names, client: client, logger: logger)
        var nonEmpty: Set<String> = []
        for name in live.tables.keys {
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: "SELECT EXISTS (SELECT 1 FROM public.\(Identifier.quoted(name)))"),
                logger: logger)
            for try await exists in rows.decode(Bool.self) where exists { nonEmpty.insert(name) }
        }
        return SchemaDiff.compute(config: schema, live: live, nonEmptyTables: nonEmpty)
    }

    /// Applies the additive part of the diff in one transaction and syncs the publication.
    public func apply(client: PostgresClient, logger: Logger) async throws -> Outcome {
        let diff = try await diff(client: client, logger: logger)
        if !diff.additive.isEmpty {
            try await client.transaction(logger: logger) { connection in
                // Serialise concurrent `stack up`s against one database.
                try await connection.queryIfOpen("SELECT pg_advisory_xact_lock(7431001)", logger: logger)
                for change in diff.additive {
                    logger.debug("applying schema change", metadata: ["schema.change": "\(change)"])
                    try await connection.queryIfOpen(PostgresQuery(unsafeSQL: change.sql), logger: logger)
                }
            }
        }
        for change in diff.reported {
            logger.warning(
                "schema drift not applied", metadata: ["schema.change": "\(change)", "schema.fix": "\(change.sql)"])
        }
        let changed = try await PublicationManager(name: publication, tables: schema.syncedTables.map(\.name))
            .ensure(client: client, logger: logger)
        return Outcome(applied: diff.additive, reported: diff.reported, publicationChanged: changed)
    }
}
