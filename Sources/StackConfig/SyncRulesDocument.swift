/// The sync rules as written: bucket definitions with their SQL and positions, not yet parsed as SQL.
public struct SyncRulesDocument: Sendable, Equatable {
    /// The file the rules came from (the config file for inline rules).
    public var file: String
    /// Bucket definitions in file order.
    public var definitions: [BucketDefinitionEntry]

    /// Creates a document.
    public init(file: String, definitions: [BucketDefinitionEntry]) {
        self.file = file
        self.definitions = definitions
    }
}

/// One entry of `bucket_definitions`.
public struct BucketDefinitionEntry: Sendable, Equatable {
    /// The definition name (the bucket name's prefix).
    public var name: String
    /// Position of the name in the file.
    public var line: Int
    /// Column of the name in the file.
    public var column: Int
    /// Parameter queries.
    public var parameters: [SQLEntry]
    /// Data queries.
    public var data: [SQLEntry]
    /// `priority:` (0–3), if set.
    public var priority: Int?
    /// `accept_potentially_dangerous_queries:`.
    public var acceptPotentiallyDangerousQueries: Bool

    /// Creates an entry.
    public init(
        name: String, line: Int, column: Int, parameters: [SQLEntry], data: [SQLEntry], priority: Int?,
        acceptPotentiallyDangerousQueries: Bool
    ) {
        self.name = name
        self.line = line
        self.column = column
        self.parameters = parameters
        self.data = data
        self.priority = priority
        self.acceptPotentiallyDangerousQueries = acceptPotentiallyDangerousQueries
    }
}

/// One SQL string of the sync rules with its position.
public struct SQLEntry: Sendable, Equatable {
    /// The SQL text.
    public var sql: String
    /// Line in the file.
    public var line: Int
    /// Column in the file.
    public var column: Int

    /// Creates an entry.
    public init(sql: String, line: Int, column: Int) {
        self.sql = sql
        self.line = line
        self.column = column
    }
}
