/// One problem found in a sync-rules document, located by definition, query and YAML position.
public struct SyncRulesIssue: Sendable, Hashable, CustomStringConvertible {
    /// Whether the problem prevents using the rules.
    public enum Severity: String, Sendable, Hashable {
        case error
        case warning
    }

    /// Stable codes, one per kind of problem.
    public enum Code: String, Sendable, Hashable {
        /// The YAML document is malformed or has the wrong shape.
        case yaml = "STACK-S101"
        /// A query is not valid SQL for the subset.
        case syntax = "STACK-S102"
        /// A query uses a clause sync rules do not support (LIMIT, DISTINCT, ORDER BY, JOIN, …).
        case unsupportedClause = "STACK-S103"
        /// An expression is not allowed (unknown function, bucket parameter in an expression, …).
        case expression = "STACK-S104"
        /// A data query does not cover the definition's bucket parameters.
        case bucketParameters = "STACK-S105"
        /// A priority is invalid or set twice.
        case priority = "STACK-S106"
        /// A parameter query lets the client choose its buckets.
        case dangerousQuery = "STACK-S107"
        /// An unquoted identifier contains upper-case letters.
        case identifierCase = "STACK-S108"
        /// A table or column is not in the database schema.
        case schema = "STACK-S109"
        /// A data query has no `id` output column.
        case missingID = "STACK-S110"
    }

    /// The stable code.
    public var code: Code
    /// What is wrong, what was seen and what to do.
    public var message: String
    /// The bucket definition name, nil for document-level problems.
    public var definition: String?
    /// 0-based index of the query inside its list, nil for definition-level problems.
    public var queryIndex: Int?
    /// Whether the query is a parameter or a data query.
    public var queryKind: QueryKind?
    /// 1-based line in the YAML source, when known.
    public var line: Int?
    /// 1-based column in the YAML source, when known.
    public var column: Int?
    /// Error or warning.
    public var severity: Severity

    /// The kind of query an issue belongs to.
    public enum QueryKind: String, Sendable, Hashable {
        case parameter
        case data
    }

    /// Creates an issue.
    public init(code: Code, message: String, definition: String? = nil, queryIndex: Int? = nil,
        queryKind: QueryKind? = nil, line: Int? = nil, column: Int? = nil, severity: Severity = .error)
    {
        self.code = code
        self.message = message
        self.definition = definition
        self.queryIndex = queryIndex
        self.queryKind = queryKind
        self.line = line
        self.column = column
        self.severity = severity
    }

    /// `file:line:column: error: [STACK-S103] LIMIT is not supported (bucket user_data, data query 1)`.
    public func formatted(file: String? = nil) -> String {
        var location = file ?? ""
        if let line {
            location += (location.isEmpty ? "" : ":") + "\(line)"
            if let column { location += ":\(column)" }
        }
        var context: [String] = []
        if let definition { context.append("bucket \(definition)") }
        if let queryIndex, let queryKind { context.append("\(queryKind.rawValue) query \(queryIndex + 1)") }
        let suffix = context.isEmpty ? "" : " (\(context.joined(separator: ", ")))"
        let prefix = location.isEmpty ? "" : location + ": "
        return "\(prefix)\(severity.rawValue): [\(code.rawValue)] \(message)\(suffix)"
    }

    /// The formatted issue without a file name.
    public var description: String { formatted() }
}

/// Every problem of a sync-rules document, thrown when at least one is an error.
public struct SyncRulesError: Error, Sendable, CustomStringConvertible {
    /// All issues found, errors and warnings, in document order.
    public var issues: [SyncRulesIssue]
    /// The file the rules came from, for messages.
    public var file: String?

    /// Creates the error.
    public init(issues: [SyncRulesIssue], file: String? = nil) {
        self.issues = issues
        self.file = file
    }

    /// Only the errors.
    public var errors: [SyncRulesIssue] { issues.filter { $0.severity == .error } }

    /// One line per issue.
    public var description: String {
        let count = errors.count
        let header = "Sync rules are invalid (\(count) error\(count == 1 ? "" : "s")). Fix the queries below; "
            + "see the PowerSync sync rules documentation for the supported SQL."
        return ([header] + issues.map { $0.formatted(file: file) }).joined(separator: "\n")
    }
}
