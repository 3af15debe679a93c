/// A position inside one SQL query text: 0-based line and column (in Unicode scalars) and scalar offset.
public struct SQLPosition: Sendable, Hashable {
    /// Offset from the start of the query, in Unicode scalars.
    public var offset: Int
    /// 0-based line inside the query.
    public var line: Int
    /// 0-based column inside that line.
    public var column: Int

    /// The start of the query.
    public static let start = SQLPosition(offset: 0, line: 0, column: 0)
}

/// One lexical token of the sync-rules SQL subset.
struct SQLToken: Sendable, Equatable {
    /// Token categories.
    enum Kind: Sendable, Equatable {
        /// An unquoted word, lower-cased; `raw` keeps the source spelling.
        case word
        /// A `"quoted"` identifier, case preserved.
        case quotedIdentifier
        /// A `'string'` literal with `''` unescaped.
        case string
        /// An integer literal.
        case integer(Int64)
        /// A real literal (or an integer too large for 64 bits).
        case real(Double)
        /// An operator or punctuation such as `->>`, `(`, `::`.
        case symbol
        /// A `$1` style placeholder.
        case placeholder
        /// End of input.
        case end
    }

    var kind: Kind
    /// Lower-cased word, identifier name, string contents or symbol text.
    var text: String
    /// The exact source text.
    var raw: String
    var position: SQLPosition

    /// True for an unquoted word equal to `keyword` (lower-case).
    func isKeyword(_ keyword: String) -> Bool {
        kind == .word && text == keyword
    }

    /// True for the symbol `symbol`.
    func isSymbol(_ symbol: String) -> Bool {
        kind == .symbol && text == symbol
    }
}

/// A lexical or syntax error with its position in the query.
struct SQLSyntaxError: Error, Sendable {
    var message: String
    var position: SQLPosition
}
