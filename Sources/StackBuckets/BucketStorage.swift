import Logging
import PostgresNIO
import StackPGOutput
import StackPostgres
import StackSyncRules

/// Bucket storage in Postgres (PROTOCOL §7): the write path for replication, the read path for the sync endpoint.
public final class BucketStorage: Sendable {
    /// The pool all storage queries use.
    public let client: PostgresClient
    /// The storage schema (`sync.storage_schema`).
    public let schema: String
    /// Woken on every new checkpoint of this process.
    public let notifier: CheckpointNotifier
    /// The `pg_notify` channel other processes `LISTEN` on.
    public let channel: String
    let logger: Logger
    /// `"schema"`, quoted, for statements.
    let s: String

    /// Rows per INSERT statement when a batch is written.
    static let chunkSize = 5000

    /// Creates storage over a running client.
    public init(
        client: PostgresClient, schema: String, notifier: CheckpointNotifier = CheckpointNotifier(),
        logger: Logger
    ) {
        self.client = client
        self.schema = schema
        self.notifier = notifier
        self.channel = "stack_checkpoints"
        self.logger = logger
        self.s = "\"" + schema.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Loads the stored state of source rows of a stream.
    public func storedRows(stream: Int, keys: [SourceRowKey]) async throws -> [SourceRowKey: StoredRow] {
        guard !keys.isEmpty else { return [:] }
        var found: [SourceRowKey: StoredRow] = [:]
        do {
            for chunk in stride(from: 0, to: keys.count, by: Self.chunkSize) {
                let slice = keys[chunk..<min(chunk + Self.chunkSize, keys.count)]
                let query = Self.storedRowsQuery(schema: s, stream: stream, keys: Array(slice))
                found.merge(
                    try await client.withRows(query, logger: logger) { rows in
                        var chunkRows: [SourceRowKey: StoredRow] = [:]
                        for try await (table, key, buckets, lookups, data) in rows.decode(
                            (String, String, String, String, String).self)
                        {
                            chunkRows[SourceRowKey(table: table, key: key)] = StoredRow(
                                bucketsText: buckets, lookupsText: lookups, dataText: data)
                        }
                        return chunkRows
                    }
                ) { _, new in new }
            }
        } catch {
            throw BucketStorageError.query("read current rows", error)
        }
        return found
    }

    /// The `current_data` rows of `keys`: one primary-key probe per key, whatever the planner's statistics say.
    ///
    /// As a plain join, a `current_data` not analysed yet (a fresh stream, or right after a large snapshot) is
    /// estimated at a few hundred distinct keys and read whole for every chunk (1.7 s a chunk at 1.4M rows, growing
    /// with the table). `LIMIT 1` keeps the lateral subquery from being flattened into that join.
    static func storedRowsQuery(schema s: String, stream: Int, keys: [SourceRowKey]) -> PostgresQuery {
        """
        SELECT k.t, k.key, c.buckets, c.lookups, c.data
        FROM unnest(\(keys.map(\.table))::text[], \(keys.map(\.key))::text[]) AS k(t, key)
        CROSS JOIN LATERAL (
          SELECT buckets, lookups, data FROM \(unescaped: s).current_data
          WHERE group_id = \(stream) AND source_table = k.t AND source_key = k.key LIMIT 1) c
        """
    }

    /// Deletes the `current_data` rows of `keys`, found as `storedRowsQuery` finds them, by ctid.
    static func deleteStoredRowsQuery(schema s: String, stream: Int, keys: [SourceRowKey]) -> PostgresQuery {
        """
        DELETE FROM \(unescaped: s).current_data WHERE ctid = ANY(ARRAY(
          SELECT c.ctid FROM unnest(\(keys.map(\.table))::text[], \(keys.map(\.key))::text[]) AS k(t, key)
          CROSS JOIN LATERAL (
            SELECT ctid FROM \(unescaped: s).current_data
            WHERE group_id = \(stream) AND source_table = k.t AND source_key = k.key LIMIT 1) c))
        """
    }

    /// Every stored row of a table (for TRUNCATE).
    public func storedRows(stream: Int, table: SourceTable) async throws -> [SourceRowKey: StoredRow] {
        var found: [SourceRowKey: StoredRow] = [:]
        do {
            let query: PostgresQuery = """
                SELECT source_key, buckets, lookups, data FROM \(unescaped: s).current_data
                WHERE group_id = \(stream) AND source_table = \(table.description)
                """
            found = try await client.withRows(query, logger: logger) { rows in
                var tableRows: [SourceRowKey: StoredRow] = [:]
                for try await (key, buckets, lookups, data) in rows.decode((String, String, String, String).self) {
                    tableRows[SourceRowKey(table: table.description, key: key)] = StoredRow(
                        bucketsText: buckets, lookupsText: lookups, dataText: data)
                }
                return tableRows
            }
        } catch {
            throw BucketStorageError.query("read the rows of \(table)", error)
        }
        return found
    }

    /// Applies changes to a planner, loading the stored state each one needs.
    /// `assumeNew` skips the lookup (a fresh snapshot chunk: no stored row can exist yet). `fill` receives the
    /// changes and the rows among them whose unchanged TOAST columns have no stored copy to come from
    /// (`BatchPlanner.missingCopies`), and returns the changes with those values filled in.
    public func plan(
        _ changes: [RowChange], into planner: inout BatchPlanner, stream: Int, assumeNew: Bool = false,
        fill: (([RowChange], Set<SourceRowKey>) async throws -> [RowChange])? = nil
    ) async throws {
        if !assumeNew {
            var missing: [SourceRowKey] = []
            var seen: Set<SourceRowKey> = []
            for change in changes {
                for key in planner.needsLoad(change) where seen.insert(key).inserted { missing.append(key) }
            }
            planner.load(missing, found: try await storedRows(stream: stream, keys: missing))
        }
        planner.reserveCapacity(changes.count)
        var changes = changes
        if let fill {
            let missing = planner.missingCopies(in: changes)
            if !missing.isEmpty { changes = try await fill(changes, missing) }
        }
        for change in changes {
            if case .truncate(let tables) = change {
                for table in tables {
                    let rows = try await storedRows(stream: stream, table: table)
                    planner.load(Array(rows.keys), found: rows)
                }
            }
            planner.apply(change)
        }
    }
}
