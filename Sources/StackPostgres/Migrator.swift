import Logging
import PostgresNIO

/// One numbered migration of stack's own tables. Once landed, a migration never changes: add a new one.
public struct Migration: Sendable {
    /// Position in its namespace, from 1.
    public let id: Int
    /// Short description.
    public let name: String
    /// Statements separated by `;`, run in order in one transaction.
    public let sql: String

    /// Creates a migration.
    public init(id: Int, name: String, sql: String) {
        self.id = id
        self.name = name
        self.sql = sql
    }
}

/// Applies numbered migrations per namespace (`auth`, `upload`, `buckets`, …), each once, each in a transaction.
public enum Migrator {
    /// Applies the migrations of `namespace` that have not run yet; returns how many ran.
    @discardableResult
    public static func run(
        _ migrations: [Migration], namespace: String, client: PostgresClient, logger: Logger
    ) async throws -> Int {
        try await client.query(
            """
            CREATE SCHEMA IF NOT EXISTS stack_meta;
            """, logger: logger)
        try await client.query(
            """
            CREATE TABLE IF NOT EXISTS stack_meta.migrations (
              namespace text NOT NULL, id integer NOT NULL, name text NOT NULL,
              applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (namespace, id))
            """, logger: logger)
        var applied = 0
        for migration in migrations.sorted(by: { $0.id < $1.id }) {
            let ran = try await client.transaction(logger: logger) { connection -> Bool in
                // One stack at a time per namespace; the check happens under the lock.
                try await connection.queryIfOpen("SELECT pg_advisory_xact_lock(hashtext(\(namespace)))", logger: logger)
                let rows = try await connection.queryIfOpen(
                    "SELECT 1 FROM stack_meta.migrations WHERE namespace = \(namespace) AND id = \(migration.id)",
                    logger: logger)
                for try await _ in rows { return false }
                for statement in SQLScript.statements(migration.sql) {
                    try await connection.queryIfOpen(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.queryIfOpen(
                    "INSERT INTO stack_meta.migrations (namespace, id, name) VALUES (\(namespace), \(migration.id), \(migration.name))",
                    logger: logger)
                return true
            }
            if ran {
                applied += 1
                logger.info(
                    "migration applied",
                    metadata: ["migration.namespace": "\(namespace)", "migration.id": "\(migration.id)"])
            }
        }
        return applied
    }
}
