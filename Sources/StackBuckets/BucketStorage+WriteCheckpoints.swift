import PostgresNIO
import StackPGOutput
import StackPostgres

/// Managed write checkpoints (PROTOCOL §3.1): `<user>/<client_id>` → (WAL LSN at request time, counter).
extension BucketStorage {
    /// The `user_id` key PowerSync uses: `<sub>/<client_id>`, or just `<sub>` without a client id.
    public static func writeCheckpointKey(userID: String, clientID: String?) -> String {
        guard let clientID, !clientID.isEmpty else { return userID }
        return userID + "/" + clientID
    }

    /// Records a write checkpoint at the current WAL position and returns its number; then emits a `ping`
    /// logical message so replication reaches that position even on an idle database.
    public func createWriteCheckpoint(userID: String, clientID: String?) async throws -> Int64 {
        let key = Self.writeCheckpointKey(userID: userID, clientID: clientID)
        do {
            var head = LSN.zero
            let rows = try await client.queryIfOpen("SELECT pg_current_wal_lsn()::text", logger: logger)
            for try await text in rows.decode(String.self) { head = LSN(text) ?? .zero }
            let lsn = head.description
            let counter = try await client.queryIfOpen(
                """
                INSERT INTO \(unescaped: s).write_checkpoints (user_id, lsn, write_checkpoint)
                VALUES (\(key), \(lsn), 1)
                ON CONFLICT (user_id) DO UPDATE SET lsn = EXCLUDED.lsn,
                  write_checkpoint = \(unescaped: s).write_checkpoints.write_checkpoint + 1,
                  checkpoint_requested_at = now()
                RETURNING write_checkpoint
                """, logger: logger)
            var value: Int64 = 0
            for try await number in counter.decode(Int64.self) { value = number }
            try await emitPing()
            return value
        } catch {
            throw BucketStorageError.query("create a write checkpoint", error)
        }
    }

    /// The write checkpoint of `<user>/<client_id>` if replication has passed its LSN at checkpoint `lsn`.
    public func writeCheckpoint(userID: String, clientID: String?, resolvedAt lsn: LSN) async throws -> Int64? {
        let key = Self.writeCheckpointKey(userID: userID, clientID: clientID)
        do {
            let rows = try await client.queryIfOpen(
                """
                SELECT write_checkpoint FROM \(unescaped: s).write_checkpoints
                WHERE user_id = \(key) AND lsn <= \(lsn.description)
                """, logger: logger)
            for try await value in rows.decode(Int64.self) { return value }
            return nil
        } catch {
            throw BucketStorageError.query("read a write checkpoint", error)
        }
    }
}

extension BucketStorage {
    /// A client-chosen write checkpoint id (`/sync/checkpoint-request`, PROTOCOL §3.2): stored with the current
    /// WAL position only if larger than the stored one (equal refreshes its timestamp, smaller is a no-op).
    /// Returns the stored id.
    public func requestCheckpoint(userID: String, clientID: String?, requestID: Int64) async throws -> Int64 {
        let key = Self.writeCheckpointKey(userID: userID, clientID: clientID)
        do {
            var head = LSN.zero
            let rows = try await client.queryIfOpen("SELECT pg_current_wal_lsn()::text", logger: logger)
            for try await text in rows.decode(String.self) { head = LSN(text) ?? .zero }
            let lsn = head.description
            let stored = try await client.queryIfOpen(
                """
                INSERT INTO \(unescaped: s).write_checkpoints (user_id, lsn, write_checkpoint)
                VALUES (\(key), \(lsn), \(requestID))
                ON CONFLICT (user_id) DO UPDATE SET
                  lsn = CASE WHEN EXCLUDED.write_checkpoint > \(unescaped: s).write_checkpoints.write_checkpoint
                    THEN EXCLUDED.lsn ELSE \(unescaped: s).write_checkpoints.lsn END,
                  write_checkpoint = GREATEST(\(unescaped: s).write_checkpoints.write_checkpoint, EXCLUDED.write_checkpoint),
                  checkpoint_requested_at = CASE
                    WHEN EXCLUDED.write_checkpoint >= \(unescaped: s).write_checkpoints.write_checkpoint THEN now()
                    ELSE \(unescaped: s).write_checkpoints.checkpoint_requested_at END
                RETURNING write_checkpoint
                """, logger: logger)
            var value: Int64 = requestID
            for try await number in stored.decode(Int64.self) { value = number }
            try await emitPing()
            return value
        } catch {
            throw BucketStorageError.query("store a checkpoint request", error)
        }
    }

    /// Writes the `powersync` `ping` logical message: the replicator commits a keepalive at its LSN and confirms it,
    /// so checkpoints and the slot move on even when no synced table changes.
    public func emitPing() async throws {
        try await client.queryIfOpen("SELECT pg_logical_emit_message(false, 'powersync', 'ping')", logger: logger)
    }
}
