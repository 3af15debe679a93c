/// Output column naming shared by all query kinds (PowerSync's `getOutputName`).
enum OutputNames {
    /// The alias, or the column name of a plain column reference; nil when an alias is required.
    static func name(of column: SQLSelectColumn) -> String? {
        if column.isStar { return "*" }
        if let alias = column.alias { return alias }
        if case .column(_, _, let name, _, _) = column.expression.kind { return name }
        return nil
    }

    /// Warns about an unquoted alias with upper-case letters (it is lower-cased).
    static func checkAliasCase(_ column: SQLSelectColumn, _ context: inout QueryContext) {
        if let raw = column.aliasRaw, !column.aliasQuoted, raw != column.alias {
            context.add(.identifierCase, "Unquoted identifiers are converted to lower-case. Use \"\(raw)\" instead.",
                at: column.position, severity: .warning)
        }
    }

    /// Parses the `_priority` column value: an integer literal 0–3.
    static func priority(of column: SQLSelectColumn, _ context: inout QueryContext) -> Int? {
        guard case .literal(.integer(let value)) = column.expression.kind else {
            context.add(.priority, "Priority must be a simple integer literal", at: column.expression.position)
            return nil
        }
        guard (0...3).contains(value) else {
            context.add(.priority, "Invalid value for priority, must be between 0 and 3 (inclusive).",
                at: column.expression.position)
            return nil
        }
        return Int(value)
    }
}
