/// The SQL text of one query and where it starts in the YAML source (1-based line and column of its first
/// character), when known.
public struct QuerySource: Sendable, Hashable {
    /// The query text.
    public var sql: String
    /// 1-based line of the first character of `sql` in the YAML source.
    public var line: Int?
    /// 1-based column of the first character of `sql` in the YAML source.
    public var column: Int?

    /// Creates a query source.
    public init(sql: String, line: Int? = nil, column: Int? = nil) {
        self.sql = sql
        self.line = line
        self.column = column
    }
}

/// A legacy bucket definition as read from YAML (`bucket_definitions.<name>`).
public struct BucketDefinitionSource: Sendable, Hashable {
    /// The definition name (the bucket name prefix).
    public var name: String
    /// `parameters:` queries; empty means the implicit `SELECT` (one global bucket).
    public var parameterQueries: [QuerySource]
    /// `data:` queries.
    public var dataQueries: [QuerySource]
    /// `priority:` 0–3, nil when not set.
    public var priority: Int?
    /// `accept_potentially_dangerous_queries:`.
    public var acceptPotentiallyDangerousQueries: Bool
    /// 1-based line of the definition name, when known.
    public var line: Int?
    /// 1-based column of the definition name, when known.
    public var column: Int?

    /// Creates a definition source.
    public init(name: String, parameterQueries: [QuerySource] = [], dataQueries: [QuerySource] = [],
        priority: Int? = nil, acceptPotentiallyDangerousQueries: Bool = false, line: Int? = nil, column: Int? = nil)
    {
        self.name = name
        self.parameterQueries = parameterQueries
        self.dataQueries = dataQueries
        self.priority = priority
        self.acceptPotentiallyDangerousQueries = acceptPotentiallyDangerousQueries
        self.line = line
        self.column = column
    }
}

/// Where a query being compiled sits, to turn its problems into located issues.
struct QueryContext {
    var definition: String
    var queryIndex: Int
    var kind: SyncRulesIssue.QueryKind
    var source: QuerySource
    var issues: [SyncRulesIssue] = []

    /// Maps a query-relative position to the YAML line and column.
    func location(_ position: SQLPosition?) -> (line: Int?, column: Int?) {
        guard let line = source.line else { return (nil, nil) }
        let position = position ?? .start
        let column = source.column.map { $0 + position.column }
        return (line + position.line, column)
    }

    mutating func add(_ code: SyncRulesIssue.Code, _ message: String, at position: SQLPosition?,
        severity: SyncRulesIssue.Severity = .error)
    {
        let location = location(position)
        issues.append(SyncRulesIssue(code: code, message: message, definition: definition, queryIndex: queryIndex,
            queryKind: kind, line: location.line, column: location.column, severity: severity))
    }

    /// Records the compiler's problems; case warnings get their own code.
    mutating func absorb(_ problems: [ClauseCompiler.Problem]) {
        for problem in problems {
            let code: SyncRulesIssue.Code = problem.message.hasPrefix("Unquoted identifiers")
                ? .identifierCase : (problem.message.hasPrefix("Cannot have multiple IN")
                    || problem.message.hasPrefix("Left and right sides of OR") ? .bucketParameters : .expression)
            add(code, problem.message, at: problem.position, severity: problem.severity)
        }
    }

    /// Records the statement's unsupported clauses.
    mutating func addUnsupported(_ statement: SQLSelectStatement) {
        for clause in statement.unsupported {
            add(.unsupportedClause, clause.message, at: clause.position)
        }
    }

    /// Parses the query, recording a syntax error on failure.
    mutating func parse() -> SQLSelectStatement? {
        do {
            return try SQLParser.parse(source.sql)
        } catch {
            let code: SyncRulesIssue.Code = error.message.hasPrefix("Only") ? .unsupportedClause : .syntax
            add(code, error.message, at: error.position)
            return nil
        }
    }
}

/// A table referenced by the rules: schema (default `public`) and name; a trailing `%` makes it a prefix pattern.
public struct TableReference: Sendable, Hashable, CustomStringConvertible {
    /// The schema; `"connectionTag.schema"` forms are kept verbatim.
    public var schema: String
    /// The table name or pattern.
    public var name: String

    /// Creates a reference.
    public init(schema: String = "public", name: String) {
        self.schema = schema
        self.name = name
    }

    /// True when the name ends in `%` (matches every table with that prefix).
    public var isWildcard: Bool { name.hasSuffix("%") }

    /// Whether a concrete table matches this reference.
    public func matches(schema: String, table: String) -> Bool {
        guard schema == self.schema else { return false }
        if isWildcard { return table.hasPrefix(String(name.dropLast())) }
        return table == name
    }

    /// The part of `table` after a wildcard prefix (`_table_suffix`).
    func suffix(of table: String) -> String {
        String(table.dropFirst(name.count - 1))
    }

    /// `schema.name`.
    public var description: String { "\(schema).\(name)" }
}
