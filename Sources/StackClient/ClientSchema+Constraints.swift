import StackConfig

// The server refuses NULL in a `nullable: false` column: the upload would be rejected and the row reverted long
// after the write. The device knows the schema, so its view triggers refuse such a write at once (also for raw SQL
// through `stack client query` and apps). A column with a default may be left out of a new row: a PUT omits NULLs
// and Postgres fills the default, which syncs back. Setting it to NULL later is refused (the PATCH would send NULL).
extension ClientSchema {
    /// Columns a new row of `table` must give: `nullable: false` without a default (`id` is checked apart and
    /// `owner_id` is filled by the upload API).
    public static func requiredOnInsert(_ table: TableSchema) -> [ColumnSchema] {
        notNullColumns(table).filter { $0.defaultValue == nil }
    }

    /// Columns of `table` that may never be set to NULL once a row has a value (`nullable: false`).
    public static func notNullColumns(_ table: TableSchema) -> [ColumnSchema] {
        table.columns.filter { !$0.nullable && !$0.primaryKey && $0.name != "id" && $0.name != "owner_id" }
    }

    /// The message for a new row without a value in a required column.
    public static func missingValueMessage(table: String, column: String) -> String {
        "\(table).\(column) needs a value: the config's schema declares it nullable: false, without a default "
            + "(the server would reject the row)."
    }

    /// The message for setting a `nullable: false` column to NULL.
    public static func nullUpdateMessage(table: String, column: String) -> String {
        "\(table).\(column) cannot be set to NULL: the config's schema declares it nullable: false "
            + "(the server would reject the change)."
    }

    /// The message for a real the device cannot store and upload exactly.
    public static func inexactRealMessage(table: String, column: String) -> String {
        "\(table).\(column): this number cannot be stored exactly on this device (SQLite cannot print it back "
            + "exactly, or it is infinite); round it, e.g. to 15 significant digits."
    }

    /// Trigger statements refusing a NULL in a required column of a new row (`NEW` in an INSERT trigger), and a
    /// real that would not be stored exactly.
    static func insertChecks(_ table: TableSchema) -> String {
        let required = requiredOnInsert(table).map { column in
            "SELECT CASE WHEN NEW.\(Identifier.quoted(column.name)) IS NULL THEN RAISE(ABORT, "
                + sqlLiteral(missingValueMessage(table: table.name, column: column.name)) + ") END;"
        }
        let reals = realColumns(table).map { column in
            "SELECT CASE WHEN \(inexactReal("NEW." + Identifier.quoted(column.name))) THEN RAISE(ABORT, "
                + sqlLiteral(inexactRealMessage(table: table.name, column: column.name)) + ") END;"
        }
        return (required + reals).joined(separator: "\n  ")
    }

    /// Trigger statements refusing an update that sets a `nullable: false` column to NULL, or a real column to a
    /// number that would not be stored exactly. A column that is NULL already (left to the server's default, not
    /// synced back yet) may stay so; an unchanged value is never refused.
    static func updateChecks(_ table: TableSchema) -> String {
        let required = notNullColumns(table).map { column in
            let name = Identifier.quoted(column.name)
            return "SELECT CASE WHEN NEW.\(name) IS NULL AND OLD.\(name) IS NOT NULL THEN RAISE(ABORT, "
                + sqlLiteral(nullUpdateMessage(table: table.name, column: column.name)) + ") END;"
        }
        let reals = realColumns(table).map { column in
            let name = Identifier.quoted(column.name)
            return
                "SELECT CASE WHEN NEW.\(name) IS NOT OLD.\(name) AND \(inexactReal("NEW." + name)) THEN RAISE(ABORT, "
                + sqlLiteral(inexactRealMessage(table: table.name, column: column.name)) + ") END;"
        }
        return (required + reals).joined(separator: "\n  ")
    }

    private static func realColumns(_ table: TableSchema) -> [ColumnSchema] {
        table.columns.filter { $0.type == .real }
    }

    /// SQL: `value` is a REAL that neither 15 digits nor `exactRealText` give back.
    private static func inexactReal(_ value: String) -> String {
        "(typeof(\(value)) = 'real' AND CAST(printf('%!.15g', \(value)) AS REAL) IS NOT \(value) "
            + "AND \(exactRealText(value)) IS NULL)"
    }

    private static func sqlLiteral(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
