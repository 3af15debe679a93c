import Foundation
import PostgresNIO
import StackPGOutput
import StackPostgres

/// Replication stream bookkeeping (`replication_streams`, `source_tables`).
extension BucketStorage {
    /// Every stream that is not stopped, oldest first.
    public func streams() async throws -> [ReplicationStreamRecord] {
        try await streams(where: "state <> 'STOP'")
    }

    /// Every stream, stopped ones included.
    public func allStreams() async throws -> [ReplicationStreamRecord] {
        try await streams(where: "true")
    }

    /// One stream by id.
    public func stream(id: Int) async throws -> ReplicationStreamRecord? {
        try await streams(where: "id = \(id)").first
    }

    private func streams(where condition: String) async throws -> [ReplicationStreamRecord] {
        do {
            let rows = try await client.queryIfOpen(
                """
                SELECT id, state, slot_name, rules_hash, content, snapshot_done, no_checkpoint_before, persisted_lsn,
                  last_checkpoint, last_checkpoint_lsn
                FROM \(unescaped: s).replication_streams WHERE \(unescaped: condition) ORDER BY id
                """, logger: logger)
            var result: [ReplicationStreamRecord] = []
            for try await row in rows.decode(
                (Int, String, String, String, String, Bool, String?, String?, Int64?, String?).self)
            {
                result.append(
                    ReplicationStreamRecord(
                        id: row.0, state: StreamState(rawValue: row.1) ?? .stop, slotName: row.2, rulesHash: row.3,
                        content: row.4, snapshotDone: row.5, noCheckpointBefore: row.6.flatMap(LSN.init),
                        persistedLSN: row.7.flatMap(LSN.init), lastCheckpoint: row.8,
                        lastCheckpointLSN: row.9.flatMap(LSN.init)))
            }
            return result
        } catch {
            throw BucketStorageError.query("read replication streams", error)
        }
    }

    /// A random slot-name suffix of 8 hex digits. Slot names are unique per cluster, not per database: with 4
    /// digits, two of the hundreds of test databases on one cluster drew the same name for their stream 1.
    static func slotSuffix() -> String {
        let hex = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// Gives a stream whose slot does not exist yet a new slot name (its name is another database's slot).
    public func renameSlot(stream: Int, slotPrefix: String = "stack_") async throws -> String {
        let suffix = Self.slotSuffix()
        do {
            let rows = try await client.queryIfOpen(
                """
                UPDATE \(unescaped: s).replication_streams SET slot_name = \(slotPrefix) || id || '_' || \(suffix)
                WHERE id = \(stream) RETURNING slot_name
                """, logger: logger)
            for try await slot in rows.decode(String.self) { return slot }
            throw BucketStorageError.query("rename the slot of stream \(stream)", BucketStorageError.malformedRow)
        } catch let error as BucketStorageError {
            throw error
        } catch {
            throw BucketStorageError.query("rename the slot of stream \(stream)", error)
        }
    }

    /// Creates a PROCESSING stream with a new slot name `<prefix><id>_<8 hex>`.
    public func createStream(rulesHash: String, content: String, slotPrefix: String = "stack_") async throws
        -> ReplicationStreamRecord
    {
        let suffix = Self.slotSuffix()
        do {
            let rows = try await client.queryIfOpen(
                """
                INSERT INTO \(unescaped: s).replication_streams (id, state, slot_name, rules_hash, content)
                SELECT id, 'PROCESSING', \(slotPrefix) || id || '_' || \(suffix), \(rulesHash), \(content)
                FROM (SELECT nextval('\(unescaped: s).stream_id_sequence')::int AS id) n
                RETURNING id, slot_name
                """, logger: logger)
            for try await (id, slot) in rows.decode((Int, String).self) {
                return ReplicationStreamRecord(
                    id: id, state: .processing, slotName: slot, rulesHash: rulesHash, content: content,
                    snapshotDone: false, noCheckpointBefore: nil, persistedLSN: nil, lastCheckpoint: nil,
                    lastCheckpointLSN: nil)
            }
        } catch {
            throw BucketStorageError.query("create a replication stream", error)
        }
        throw BucketStorageError(code: "STACK-B003", message: "Creating a replication stream returned no row.")
    }

    /// Sets a stream's state.
    public func setState(stream: Int, _ state: StreamState) async throws {
        do {
            _ = try await client.queryIfOpen(
                "UPDATE \(unescaped: s).replication_streams SET state = \(state.rawValue) WHERE id = \(stream)",
                logger: logger)
        } catch {
            throw BucketStorageError.query("update a replication stream", error)
        }
    }

    /// Records the last fatal error of a stream (shown by status tools), nil to clear it.
    public func setFatalError(stream: Int, _ message: String?) async throws {
        _ = try? await client.queryIfOpen(
            "UPDATE \(unescaped: s).replication_streams SET last_fatal_error = \(message) WHERE id = \(stream)",
            logger: logger)
    }

    /// Marks the snapshot finished at `lsn`: no checkpoint until streaming reaches it (PROTOCOL §6.4).
    public func markSnapshotDone(stream: Int, lsn: LSN) async throws {
        let text = lsn.description
        do {
            _ = try await client.queryIfOpen(
                """
                UPDATE \(unescaped: s).replication_streams SET snapshot_done = true, snapshot_lsn = \(text),
                  no_checkpoint_before = CASE WHEN no_checkpoint_before IS NULL OR no_checkpoint_before < \(text)
                    THEN \(text) ELSE no_checkpoint_before END
                WHERE id = \(stream)
                """, logger: logger)
        } catch {
            throw BucketStorageError.query("mark the snapshot done", error)
        }
    }

    /// Snapshot progress of every registered table of a stream.
    public func sourceTables(stream: Int) async throws -> [SourceTable: SnapshotProgress] {
        do {
            let rows = try await client.queryIfOpen(
                """
                SELECT schema_name, table_name, snapshot_last_key, snapshot_replicated_count, snapshot_done
                FROM \(unescaped: s).source_tables WHERE group_id = \(stream)
                """, logger: logger)
            var result: [SourceTable: SnapshotProgress] = [:]
            for try await (schema, name, key, count, done) in rows.decode((String, String, String?, Int64, Bool).self) {
                let table = SourceTable(schema: schema, name: name)
                result[table] = SnapshotProgress(table: table, lastKey: key, replicated: count, done: done)
            }
            return result
        } catch {
            throw BucketStorageError.query("read snapshot progress", error)
        }
    }

    /// Registers a table for snapshotting (no-op when already registered).
    public func registerSourceTable(stream: Int, table: SourceTable, estimatedRows: Int64) async throws {
        do {
            _ = try await client.queryIfOpen(
                """
                INSERT INTO \(unescaped: s).source_tables (group_id, schema_name, table_name, snapshot_total_estimated_count)
                VALUES (\(stream), \(table.schema), \(table.name), \(estimatedRows))
                ON CONFLICT (group_id, schema_name, table_name)
                DO UPDATE SET snapshot_total_estimated_count = EXCLUDED.snapshot_total_estimated_count
                """, logger: logger)
        } catch {
            throw BucketStorageError.query("register a source table", error)
        }
    }

    /// Deletes everything stored for a stream (ops, rows, parameters, progress and the stream row).
    public func deleteStream(_ stream: Int) async throws {
        do {
            try await client.transaction(logger: logger) { connection in
                for table in ["bucket_data", "current_data", "bucket_parameters", "source_tables"] {
                    try await connection.queryIfOpen(
                        "DELETE FROM \(unescaped: s).\(unescaped: table) WHERE group_id = \(stream)", logger: logger)
                }
                try await connection.queryIfOpen(
                    "DELETE FROM \(unescaped: s).replication_streams WHERE id = \(stream)", logger: logger)
            }
        } catch {
            throw BucketStorageError.query("delete replication stream \(stream)", error)
        }
    }
}
