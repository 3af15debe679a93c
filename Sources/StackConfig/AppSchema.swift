/// The app's data model from `schema.tables`, in the order the file lists them.
public struct AppSchema: Sendable, Equatable {
    /// Tables in file order.
    public var tables: [TableSchema]

    /// Creates a schema.
    public init(tables: [TableSchema]) {
        self.tables = tables
    }

    /// Tables that sync with Postgres (not local-only).
    public var syncedTables: [TableSchema] { tables.filter { !$0.localOnly } }

    /// The table with this name, if any.
    public func table(named name: String) -> TableSchema? { tables.first { $0.name == name } }
}

/// One table of the data model.
public struct TableSchema: Sendable, Equatable {
    /// Table name (a plain SQL identifier).
    public var name: String
    /// Local-only tables live on devices only: never in Postgres, never uploaded.
    public var localOnly: Bool
    /// Columns in file order.
    public var columns: [ColumnSchema]
    /// Secondary indexes (unique ones carry composite uniqueness).
    public var indexes: [IndexSchema]

    /// Creates a table.
    public init(name: String, localOnly: Bool, columns: [ColumnSchema], indexes: [IndexSchema]) {
        self.name = name
        self.localOnly = localOnly
        self.columns = columns
        self.indexes = indexes
    }

    /// The column with this name, if any.
    public func column(named name: String) -> ColumnSchema? { columns.first { $0.name == name } }

    /// True when the table has a `deleted_at` column, so DELETE becomes a soft delete.
    public var hasSoftDelete: Bool { column(named: "deleted_at") != nil }
}

/// One column of a table.
public struct ColumnSchema: Sendable, Equatable {
    /// Column name.
    public var name: String
    /// Logical type, mapped per dialect.
    public var type: ColumnType
    /// Whether this is the primary key (only `id` may be).
    public var primaryKey: Bool
    /// Whether NULL is allowed (primary keys never are).
    public var nullable: Bool
    /// Default value, if any.
    public var defaultValue: ColumnDefault?

    /// Creates a column.
    public init(name: String, type: ColumnType, primaryKey: Bool, nullable: Bool, defaultValue: ColumnDefault?) {
        self.name = name
        self.type = type
        self.primaryKey = primaryKey
        self.nullable = nullable
        self.defaultValue = defaultValue
    }
}

/// The logical column types of the config.
public enum ColumnType: String, Sendable, CaseIterable {
    case text, integer, real, boolean, timestamp, json
}

/// A column default.
public enum ColumnDefault: Sendable, Equatable {
    case text(String)
    case integer(Int64)
    case real(Double)
    case boolean(Bool)
    /// The current time at insert (`now` in the config).
    case now
}

/// A secondary index.
public struct IndexSchema: Sendable, Equatable {
    /// Indexed columns in order.
    public var columns: [String]
    /// Whether the index enforces uniqueness.
    public var unique: Bool
    /// Explicit name, or nil for `idx_<table>_<cols>` / `uq_<table>_<cols>`.
    public var name: String?

    /// Creates an index.
    public init(columns: [String], unique: Bool, name: String?) {
        self.columns = columns
        self.unique = unique
        self.name = name
    }

    /// The index name in the database.
    public func resolvedName(table: String) -> String {
        name ?? ((unique ? "uq_" : "idx_") + table + "_" + columns.joined(separator: "_"))
    }
}
