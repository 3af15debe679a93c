import Logging
import PostgresNIO
import StackBuckets
import StackPostgres
import StackSyncRules

/// Stream housekeeping of the replication service: which tables a stream reads, dropping superseded streams.
extension ReplicationService {
    /// How long a drop waits for the slot's walsender to go away before leaving the stream for the next start.
    static let slotReleaseTimeout: Duration = .seconds(30)

    /// Marks a stream STOP, drops its slot once no walsender holds it, then deletes its bucket data. Returns why it
    /// could not, in which case the stream stays STOP and the next start drops it.
    func drop(_ stream: ReplicationStreamRecord) async -> String? {
        do {
            try await storage.setState(stream: stream.id, .stop)
            try await dropSlot(stream.slotName)
            try await storage.deleteStream(stream.id)
            logger.notice(
                "replication stream dropped (slot and bucket data)",
                metadata: ["replication.stream": "\(stream.id)", "replication.slot": "\(stream.slotName)"])
            return nil
        } catch {
            let reason = error is CancellationError ? "stack is shutting down" : PostgresErrorText.describe(error)
            logger.warning(
                "could not drop a stopped replication stream; the next start retries",
                metadata: ["replication.stream": "\(stream.id)", "error": "\(reason)"])
            return reason
        }
    }

    // The old stream's walsender may still be shutting down right after its runner stopped, and Postgres refuses
    // to drop an active slot: wait for it rather than deleting the stream row and leaking a slot that holds WAL.
    private func dropSlot(_ slot: String) async throws {
        let deadline = ContinuousClock.now + Self.slotReleaseTimeout
        var lastError: String?
        while true {
            let rows = try await storage.client.queryIfOpen(
                "SELECT active FROM pg_replication_slots WHERE slot_name = \(slot) AND database = current_database()",
                logger: logger)
            var active: Bool?
            for try await value in rows.decode(Bool.self) { active = value }
            guard let active else { return }
            if !active {
                do {
                    try await storage.client.queryIfOpen("SELECT pg_drop_replication_slot(\(slot))", logger: logger)
                    return
                } catch {
                    lastError = PostgresErrorText.describe(error)
                }
            }
            guard ContinuousClock.now < deadline else {
                throw ReplicationError(
                    code: "STACK-R106",
                    message: "Replication slot \(slot) is still in use after \(Self.slotReleaseTimeout)"
                        + (lastError.map { " (\($0))" } ?? "") + ". Find its walsender in pg_stat_replication; "
                        + "stack drops the slot at its next start.")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Tables the rules read that are synced in the config and published; the others are reported.
    func replicatedTables(_ rules: SyncRules) async throws -> [SourceTable] {
        let rows = try await storage.client.queryIfOpen(
            "SELECT schemaname::text, tablename::text FROM pg_publication_tables WHERE pubname = \(config.sync.publication)",
            logger: logger)
        var published: Set<SourceTable> = []
        for try await (schema, name) in rows.decode((String, String).self) {
            published.insert(SourceTable(schema: schema, name: name))
        }
        var result: [SourceTable] = []
        var candidates: [SourceTable] = config.schema.syncedTables.map { SourceTable(schema: "public", name: $0.name) }
        candidates += published.sorted { $0.description < $1.description }
        for table in candidates where !result.contains(table) {
            guard rules.tables.contains(where: { $0.matches(schema: table.schema, table: table.name) }) else {
                continue
            }
            guard published.contains(table) else {
                logger.warning(
                    "table used by the sync rules is not in the publication; skipped",
                    metadata: ["replication.table": "\(table)", "sync.publication": "\(config.sync.publication)"])
                continue
            }
            result.append(table)
        }
        return result
    }
}
