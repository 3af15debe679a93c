/// Values visible while evaluating a parameter-side expression: the request, plus the current `json_each` row
/// for table-valued parameter queries.
struct ParameterScope: Sendable {
    var request: RequestParameters
    var callTable: String?
    var callRow: [String: SQLiteValue] = [:]

    /// Value of `<table>.<column>` for a parameter table (`token_parameters`, `user_parameters`, a call table).
    func lookup(table: String, column: String) -> SQLiteValue {
        if table == callTable { return callRow[column] ?? .null }
        if table == "token_parameters" { return request.tokenParameter(column) }
        if table == "user_parameters" { return request.userParameter(column) }
        return .null
    }
}

/// Which kinds of request data a parameter expression reads (for the "potentially dangerous query" check).
struct ParameterUsage: Sendable, Equatable {
    /// `request.user_id()`, `request.jwt()`, `token_parameters.*`.
    var authenticated = false
    /// `request.parameters()`, `user_parameters.*`.
    var unauthenticated = false

    static func + (a: ParameterUsage, b: ParameterUsage) -> ParameterUsage {
        ParameterUsage(
            authenticated: a.authenticated || b.authenticated,
            unauthenticated: a.unauthenticated || b.unauthenticated)
    }
}

/// An expression over the source row only (columns looked up by name: rows have a handful, hashing costs more).
struct RowValueClause: Sendable {
    let evaluate: @Sendable (SQLiteRow) throws(SQLEvaluationError) -> SQLiteValue
}

/// An expression over request parameters only; `key` identifies it (PowerSync's debug key, e.g. `bucket.user_id`).
struct ParameterValueClause: Sendable {
    let key: String
    let usage: ParameterUsage
    let evaluate: @Sendable (ParameterScope) throws(SQLEvaluationError) -> SQLiteValue
}

/// One input of a parameter match: a value computed from the request that must equal a value from the row.
struct InputParameter: Sendable {
    let key: String
    /// True when the request value is a JSON array that expands to one lookup per element.
    let expands: Bool
    let clause: ParameterValueClause
}

/// A filter relating row values to request values. For a row it yields every assignment of input parameters
/// that makes the filter true (`[]` = never, `[[:]]` = always).
struct ParameterMatchClause: Sendable {
    var inputParameters: [InputParameter]
    var unbounded: Bool
    var hasError = false
    var usage: ParameterUsage
    let filterRow: @Sendable (SQLiteRow) throws(SQLEvaluationError) -> [[String: SQLiteValue]]
    /// Set when the filter is exactly `row value = <request value>` under `key`: the row's one lookup value is then
    /// `row` evaluated (none when NULL or a blob), with no match dictionary built per row.
    var equality: (key: String, row: RowValueClause)?

    static let alwaysTrue: [[String: SQLiteValue]] = [[:]]
}

/// The result of compiling an expression: which side of the sync it depends on.
enum CompiledClause: Sendable {
    case constant(SQLiteValue)
    case row(RowValueClause)
    case parameter(ParameterValueClause)
    case match(ParameterMatchClause)
    case error

    /// A request-side view of a constant or parameter clause.
    var asParameter: ParameterValueClause? {
        switch self {
        case .constant(let value):
            return ParameterValueClause(key: value.jsonKey, usage: ParameterUsage()) { _ in value }
        case .parameter(let clause): return clause
        default: return nil
        }
    }

    /// A row-side view of a constant or row clause.
    var asRow: RowValueClause? {
        switch self {
        case .constant(let value): return RowValueClause { _ in value }
        case .row(let clause): return clause
        default: return nil
        }
    }

    var isError: Bool {
        if case .error = self { return true }
        return false
    }
}

extension SQLiteValue {
    /// The JSON rendering PowerSync uses as the key of a literal (`JSONBig.stringify`).
    var jsonKey: String {
        jsonValue?.jsonText() ?? "null"
    }
}
