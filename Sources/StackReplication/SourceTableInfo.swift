import Logging
import PostgresNIO
import StackBuckets
import StackPGOutput
import StackSyncRules

/// A source table's columns as the catalog describes them (for snapshots, which bypass pgoutput).
public struct SourceTableInfo: Sendable {
    /// One column.
    public struct Column: Sendable {
        /// Name.
        public var name: String
        /// Type oid.
        public var typeOID: UInt32
        /// `format_type` text, for casts.
        public var typeName: String
        /// Part of the replica identity.
        public var isKey: Bool
    }

    /// The table.
    public var table: SourceTable
    /// Columns in table order.
    public var columns: [Column]

    /// The single-column key used for keyset chunks (the `id` column when it is the identity), else nil.
    public var keysetColumn: Column? {
        let keys = columns.filter(\.isKey)
        guard keys.count == 1 else { return nil }
        return keys[0]
    }

    /// Reads the columns and identity of a table; nil when it does not exist.
    public static func load(_ table: SourceTable, client: PostgresClient, logger: Logger) async throws
        -> SourceTableInfo?
    {
        let rows = try await client.queryIfOpen(
            """
            SELECT a.attname::text, a.atttypid::bigint, format_type(a.atttypid, a.atttypmod),
              c.relreplident = 'f' OR EXISTS (
                SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND a.attnum = ANY(i.indkey)
                  AND CASE WHEN c.relreplident = 'i' THEN i.indisreplident ELSE i.indisprimary END)
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = \(table.schema) AND c.relname = \(table.name) AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """, logger: logger)
        var columns: [Column] = []
        for try await (name, oid, typeName, isKey) in rows.decode((String, Int64, String, Bool).self) {
            columns.append(
                Column(name: name, typeOID: UInt32(truncatingIfNeeded: oid), typeName: typeName, isKey: isKey))
        }
        return columns.isEmpty ? nil : SourceTableInfo(table: table, columns: columns)
    }

    /// Maps one snapshot row (text values in column order) to a storage change.
    func change(_ values: [String?]) -> RowChange {
        var row: [SQLiteColumn] = []
        row.reserveCapacity(columns.count)
        var key: [SQLiteValue] = []
        for (column, text) in zip(columns, values) {
            let value = RowMapper.value(typeOID: column.typeOID, text: text)
            if let value { row.append(SQLiteColumn(name: column.name, value: value)) }
            if column.isKey { key.append(value ?? text.map(SQLiteValue.text) ?? .null) }
        }
        return .put(table: table, key: SourceRowKey.keyText(key), oldKey: nil, row: SQLiteRow(row), unchanged: [])
    }
}
