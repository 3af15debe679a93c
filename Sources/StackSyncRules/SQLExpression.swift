/// A parsed expression of the sync-rules SQL subset, with the position of its first token.
struct SQLExpression: Sendable {
    /// Expression shapes.
    indirect enum Kind: Sendable {
        /// A literal value.
        case literal(SQLiteValue)
        /// `[table.]column`; `schema` is set for three-part names (always rejected).
        case column(schema: String?, table: String?, name: String, rawName: String, quoted: Bool)
        /// `[schema.]name(args)`; `star` for `count(*)`.
        case call(schema: String?, name: String, arguments: [SQLExpression], star: Bool)
        /// A binary operator such as `=`, `AND`, `||`, `IN`, `NOT IN`, `LIKE`, `&&`.
        case binary(op: String, left: SQLExpression, right: SQLExpression)
        /// `NOT x`, `-x`, `+x`, `x IS NULL`, `x IS NOT NULL`.
        case unary(op: String, operand: SQLExpression)
        /// `x -> 'key'` or `x ->> 'key'`; `key` is nil when the right side is not a string literal.
        case member(op: String, operand: SQLExpression, key: String?)
        /// `CAST(x AS type)` or `x :: type`.
        case cast(operand: SQLExpression, type: String)
        /// A construct the subset does not support (subquery, CASE, placeholder…), with its PowerSync name.
        case unsupported(String)
    }

    var kind: Kind
    var position: SQLPosition
}

/// One entry of a SELECT list.
struct SQLSelectColumn: Sendable {
    /// `*` or `table.*`.
    var isStar: Bool
    var expression: SQLExpression
    /// `AS alias` (or bare alias), unquoted ones lower-cased.
    var alias: String?
    var aliasRaw: String?
    var aliasQuoted: Bool
    var position: SQLPosition
}

/// The FROM clause source.
enum SQLFromSource: Sendable {
    /// `[schema.]table [AS alias]`.
    case table(schema: String?, name: String, rawName: String, quoted: Bool, alias: String?)
    /// `function(args) [AS alias]`, e.g. `json_each(...)`.
    case call(name: String, arguments: [SQLExpression], alias: String?)
    /// `(SELECT …)`.
    case subquery
}

/// A parsed `SELECT` statement, with every unsupported clause recorded for validation.
struct SQLSelectStatement: Sendable {
    var columns: [SQLSelectColumn]
    var from: [(source: SQLFromSource, position: SQLPosition)]
    var whereClause: SQLExpression?
    /// Unsupported clauses found (message, position), e.g. ("LIMIT is not supported", …).
    var unsupported: [(message: String, position: SQLPosition)]
    var position: SQLPosition
}
