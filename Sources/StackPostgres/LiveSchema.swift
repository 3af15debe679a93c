import Logging
import PostgresNIO
import StackConfig

/// What Postgres has for the config's tables: columns, indexes and primary keys, read from the catalogs.
public struct LiveSchema: Sendable {
    /// A column as Postgres has it.
    public struct Column: Sendable, Equatable {
        /// Column name.
        public var name: String
        /// `format_type` text, e.g. `text`, `bigint`, `timestamp with time zone`.
        public var type: String
        /// Whether NOT NULL is set.
        public var notNull: Bool
    }

    /// A table as Postgres has it.
    public struct Table: Sendable, Equatable {
        /// Table name.
        public var name: String
        /// Columns in attribute order.
        public var columns: [Column]
        /// Primary key columns.
        public var primaryKey: [String]
        /// Index names.
        public var indexes: [String]
        /// Column lists of all indexes (for "is owner_id indexed").
        public var indexedColumnLists: [[String]]
        /// `relreplident`: d default, n nothing, f full, i index.
        public var replicaIdentity: String
    }

    /// Tables of schema `public`, by name.
    public var tables: [String: Table]

    /// Reads the given tables of schema public (missing ones are simply absent).
    public static func read(tables names: [String], client: PostgresClient, logger: Logger) async throws -> LiveSchema {
        var tables: [String: Table] = [:]
        let columnRows = try await client.queryIfOpen(
            """
            SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, c.relreplident::text
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname = ANY(\(names))
            ORDER BY c.relname, a.attnum
            """, logger: logger)
        for try await (table, column, type, notNull, identity) in columnRows.decode(
            (String, String, String, Bool, String).self)
        {
            tables[
                table,
                default: Table(
                    name: table, columns: [], primaryKey: [], indexes: [], indexedColumnLists: [],
                    replicaIdentity: identity)
            ]
            .columns.append(Column(name: column, type: type, notNull: notNull))
        }
        let indexRows = try await client.queryIfOpen(
            """
            SELECT t.relname, i.relname, ix.indisprimary,
                   array(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord)
                         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord)::text[]
            FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = 'public' AND t.relname = ANY(\(names))
            """, logger: logger)
        for try await (table, index, primary, columns) in indexRows.decode((String, String, Bool, [String]).self) {
            tables[table]?.indexes.append(index)
            tables[table]?.indexedColumnLists.append(columns)
            if primary { tables[table]?.primaryKey = columns }
        }
        return LiveSchema(tables: tables)
    }
}
