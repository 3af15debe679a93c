import StackConfig

/// The differences between the config's synced tables and live Postgres, split into what `stack up` may apply
/// (additive) and what it only reports (destructive or ambiguous).
public struct SchemaDiff: Sendable {
    /// One difference.
    public struct Change: Sendable, Equatable, CustomStringConvertible {
        /// The table concerned.
        public var table: String
        /// The column concerned, if any.
        public var column: String?
        /// What differs, in words.
        public var summary: String
        /// The statement that applies it (additive) or that a person could run after checking (reported).
        public var sql: String

        /// `table.column: summary`.
        public var description: String { "\(table)\(column.map { ".\($0)" } ?? ""): \(summary)" }
    }

    /// Changes `stack up` applies.
    public var additive: [Change] = []
    /// Changes that would lose or rewrite data: reported, never applied.
    public var reported: [Change] = []

    /// True when live Postgres matches the config.
    public var isEmpty: Bool { additive.isEmpty && reported.isEmpty }

    /// Computes the diff. `nonEmptyTables` names tables with rows (a NOT NULL column without default can't be added).
    public static func compute(config: AppSchema, live: LiveSchema, nonEmptyTables: Set<String> = []) -> SchemaDiff {
        var diff = SchemaDiff()
        for table in config.syncedTables {
            guard let liveTable = live.tables[table.name] else {
                diff.additive.append(
                    Change(
                        table: table.name, column: nil, summary: "table missing", sql: PostgresDDL.createTable(table)))
                for statement in PostgresDDL.createIndexes(table) {
                    diff.additive.append(
                        Change(table: table.name, column: nil, summary: "index missing", sql: statement))
                }
                continue
            }
            let quotedTable = "public.\(Identifier.quoted(table.name))"
            for column in table.columns {
                let expectedType = postgresTypeName(column.type)
                guard let liveColumn = liveTable.columns.first(where: { $0.name == column.name }) else {
                    let sql = "ALTER TABLE \(quotedTable) ADD COLUMN " + PostgresDDL.columnDefinition(column) + ";"
                    let change = Change(table: table.name, column: column.name, summary: "column missing", sql: sql)
                    if PostgresDDL.isNotNull(column) && column.defaultValue == nil
                        && nonEmptyTables.contains(table.name)
                    {
                        var blocked = change
                        blocked.summary =
                            "column missing; it is NOT NULL without a default and the table has rows, "
                            + "so add it with a default or backfill first"
                        diff.reported.append(blocked)
                    } else {
                        diff.additive.append(change)
                    }
                    continue
                }
                if liveColumn.type != expectedType && !compatible(live: liveColumn.type, expected: expectedType) {
                    diff.reported.append(
                        Change(
                            table: table.name, column: column.name,
                            summary:
                                "type is \(liveColumn.type), config says \(column.type.rawValue) (\(expectedType))",
                            sql:
                                "ALTER TABLE \(quotedTable) ALTER COLUMN \(Identifier.quoted(column.name)) TYPE \(expectedType) "
                                + "USING \(Identifier.quoted(column.name))::\(expectedType);"))
                }
                let expectedNotNull = PostgresDDL.isNotNull(column)
                if liveColumn.notNull != expectedNotNull {
                    let verb = expectedNotNull ? "SET" : "DROP"
                    diff.reported.append(
                        Change(
                            table: table.name, column: column.name,
                            summary: expectedNotNull
                                ? "nullable in Postgres, NOT NULL in the config"
                                : "NOT NULL in Postgres, nullable in the config",
                            sql:
                                "ALTER TABLE \(quotedTable) ALTER COLUMN \(Identifier.quoted(column.name)) \(verb) NOT NULL;"
                        ))
                }
            }
            if liveTable.primaryKey != ["id"] {
                diff.reported.append(
                    Change(
                        table: table.name, column: "id",
                        summary:
                            "primary key is \(liveTable.primaryKey.isEmpty ? "missing" : "(\(liveTable.primaryKey.joined(separator: ", ")))"), sync needs PRIMARY KEY (id)",
                        sql: "ALTER TABLE \(quotedTable) ADD PRIMARY KEY (\"id\");"))
            }
            for index in PostgresDDL.indexes(table) {
                let name = index.resolvedName(table: table.name)
                let covered =
                    liveTable.indexes.contains(name)
                    || (!index.unique && liveTable.indexedColumnLists.contains { $0.starts(with: index.columns) })
                if !covered {
                    diff.additive.append(
                        Change(
                            table: table.name, column: nil, summary: "index \(name) missing",
                            sql: PostgresDDL.createIndex(index, table: table.name)))
                }
            }
        }
        return diff
    }

    /// `format_type` spelling of each logical type's Postgres type.
    public static func postgresTypeName(_ type: ColumnType) -> String {
        switch type {
        case .text: "text"
        case .integer: "bigint"
        case .real: "double precision"
        case .boolean: "boolean"
        case .timestamp: "timestamp with time zone"
        case .json: "jsonb"
        }
    }

    // Existing databases written by the recipe use these; they sync the same, so they are not drift.
    private static func compatible(live: String, expected: String) -> Bool {
        switch expected {
        case "text": live.hasPrefix("character varying") || live == "uuid"
        case "bigint": live == "integer" || live == "smallint"
        case "double precision": live == "real" || live.hasPrefix("numeric")
        case "timestamp with time zone": live == "timestamp without time zone"
        case "jsonb": live == "json"
        default: false
        }
    }
}
