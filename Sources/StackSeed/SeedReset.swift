import Logging
import PostgresNIO
import StackConfig

/// `stack seed --reset`: empties the app tables, the auth users and everything derived from them.
///
/// Bucket storage is derived from the app tables, so it is emptied too, together with the replication streams
/// and their slots: the next `stack up` finds no stream, creates one and snapshots the (new) tables from scratch.
/// That is only safe while nothing replicates, so a reset refuses while any slot of the database is active.
struct SeedReset {
    let config: StackConfig
    let client: PostgresClient
    let logger: Logger

    /// Replication slots of this database that a running process holds.
    func activeSlots() async throws -> [String] {
        let rows = try await client.query(
            """
            SELECT slot_name::text FROM pg_replication_slots
            WHERE database = current_database() AND active ORDER BY slot_name
            """, logger: logger)
        var slots: [String] = []
        for try await slot in rows.decode(String.self) { slots.append(slot) }
        return slots
    }

    /// Truncates everything in one transaction, then drops the streams' replication slots; returns the tables.
    func run() async throws -> [String] {
        let active = try await activeSlots()
        guard active.isEmpty else { throw SeedError.replicationRunning(active) }
        var tables: [String] = []
        for table in config.schema.syncedTables where try await exists("public." + Identifier.quoted(table.name)) {
            tables.append("public." + Identifier.quoted(table.name))
        }
        // BetterAuth's user data; the signing keys ("jwks") stay, so issued JWKS URLs keep working.
        for name in ["user", "session", "account", "verification"] where try await exists(Identifier.quoted(name)) {
            tables.append(Identifier.quoted(name))
        }
        let storage = Identifier.quoted(config.sync.storageSchema)
        var slots: [String] = []
        if try await exists(storage + ".replication_streams") {
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: "SELECT slot_name FROM \(storage).replication_streams"), logger: logger)
            for try await slot in rows.decode(String.self) { slots.append(slot) }
        }
        let storageTables = try await client.query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = \(config.sync.storageSchema) ORDER BY tablename",
            logger: logger)
        for try await name in storageTables.decode(String.self) where Identifier.isValid(name) {
            tables.append(storage + "." + Identifier.quoted(name))
        }
        // The upload API's idempotency records belong to the users being removed.
        if try await exists("stack_upload.applied_transactions") { tables.append("stack_upload.applied_transactions") }
        guard !tables.isEmpty else { return [] }
        try await client.query(PostgresQuery(unsafeSQL: "TRUNCATE " + tables.joined(separator: ", ")), logger: logger)
        if !slots.isEmpty {
            try await client.query(
                """
                SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
                WHERE slot_name::text = ANY(\(slots)) AND database = current_database() AND NOT active
                """, logger: logger)
        }
        logger.info("seed reset done", metadata: ["seed.tables": "\(tables.count)", "seed.slots": "\(slots.count)"])
        return tables
    }

    private func exists(_ qualified: String) async throws -> Bool {
        let rows = try await client.query("SELECT to_regclass(\(qualified)) IS NOT NULL", logger: logger)
        for try await found in rows.decode(Bool.self) { return found }
        return false
    }
}
