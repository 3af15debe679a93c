/// Postgres DDL for the config's tables. Names are config identifiers (validated), always quoted.
public enum PostgresDDL {
    /// Postgres type for a logical type. Timestamps carry a zone so devices' ISO strings round-trip exactly.
    public static func type(_ type: ColumnType) -> String {
        switch type {
        case .text: "text"
        case .integer: "bigint"
        case .real: "double precision"
        case .boolean: "boolean"
        case .timestamp: "timestamptz"
        case .json: "jsonb"
        }
    }

    /// Whether the server column is NOT NULL: as configured, and always for `id` and `owner_id`.
    public static func isNotNull(_ column: ColumnSchema) -> Bool {
        !column.nullable || column.primaryKey || column.name == "owner_id"
    }

    /// The column definition inside CREATE TABLE / ADD COLUMN.
    public static func columnDefinition(_ column: ColumnSchema) -> String {
        var line = "\(Identifier.quoted(column.name)) \(type(column.type))"
        if column.primaryKey { line += " PRIMARY KEY" } else if isNotNull(column) { line += " NOT NULL" }
        if let value = column.defaultValue { line += " DEFAULT " + defaultExpression(value) }
        return line
    }

    /// `CREATE TABLE IF NOT EXISTS` for one table.
    public static func createTable(_ table: TableSchema) -> String {
        let columns = table.columns.map { "  " + columnDefinition($0) }.joined(separator: ",\n")
        return "CREATE TABLE IF NOT EXISTS public.\(Identifier.quoted(table.name)) (\n\(columns)\n);"
    }

    /// Every index of the table, plus the owner_id index the sync rules need (unless configured).
    public static func indexes(_ table: TableSchema) -> [IndexSchema] {
        var indexes = table.indexes
        if table.column(named: "owner_id") != nil, !indexes.contains(where: { $0.columns.first == "owner_id" }) {
            indexes.insert(IndexSchema(columns: ["owner_id"], unique: false, name: nil), at: 0)
        }
        return indexes
    }

    /// `CREATE [UNIQUE] INDEX IF NOT EXISTS` statements for one table.
    public static func createIndexes(_ table: TableSchema) -> [String] {
        indexes(table).map { createIndex($0, table: table.name) }
    }

    /// One `CREATE INDEX IF NOT EXISTS` statement.
    public static func createIndex(_ index: IndexSchema, table: String) -> String {
        let columns = index.columns.map(Identifier.quoted).joined(separator: ", ")
        return "CREATE \(index.unique ? "UNIQUE " : "")INDEX IF NOT EXISTS "
            + "\(Identifier.quoted(index.resolvedName(table: table))) ON public.\(Identifier.quoted(table)) (\(columns));"
    }

    /// A default as a SQL expression.
    public static func defaultExpression(_ value: ColumnDefault) -> String {
        switch value {
        case .text(let text): literal(text)
        case .integer(let number): String(number)
        case .real(let number): String(number)
        case .boolean(let flag): flag ? "true" : "false"
        case .now: "now()"
        }
    }

    /// A SQL string literal (for defaults written in the config, never for request data).
    public static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
