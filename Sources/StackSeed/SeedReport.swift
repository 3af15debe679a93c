/// What one `stack seed` did (`-o json` prints it).
public struct SeedReport: Sendable, Codable {
    /// Rows of one table.
    public struct Table: Sendable, Codable, Equatable {
        /// Table name.
        public var name: String
        /// Rows this run inserted.
        public var inserted: Int
        /// Generated rows that were already there.
        public var existing: Int
    }

    /// The demo users.
    public var users: [SeededUser]
    /// Every synced table of the config, in config order (tables the sample data does not cover show zeros).
    public var tables: [Table]
    /// Rows inserted, all tables.
    public var inserted: Int
    /// Rows already present, all tables.
    public var existing: Int
    /// The `--scale` used.
    public var scale: Int
    /// Tables `--reset` emptied (empty without `--reset`).
    public var resetTables: [String]
    /// Wall time of the row inserts, in seconds.
    public var seconds: Double
    /// Inserted rows per second.
    public var rowsPerSecond: Int

    /// True when the run changed nothing: every user and row was already there.
    public var nothingChanged: Bool

    enum CodingKeys: String, CodingKey {
        case users, tables, inserted, existing, scale, seconds
        case resetTables = "reset_tables"
        case rowsPerSecond = "rows_per_second"
        case nothingChanged = "nothing_changed"
    }
}

/// Progress of the row inserts, reported after every chunk.
public struct SeedProgress: Sendable {
    /// Rows written or found so far.
    public var done: Int
    /// Rows in total.
    public var total: Int
}
