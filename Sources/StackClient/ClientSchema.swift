import StackConfig

/// The device's SQLite layout for the app schema: `ps_data__<table>` + a view with CRUD triggers per synced
/// table, a plain table per local-only table.
///
/// Table and column names come only from the validated config schema and are always quoted.
public struct ClientSchema: Sendable, Equatable {
    /// The app's tables.
    public var app: AppSchema

    /// Creates the client layout for a schema.
    public init(_ app: AppSchema) {
        self.app = app
    }

    /// Names of the synced tables (those with `ps_data__` storage).
    public var syncedTableNames: [String] { app.syncedTables.map(\.name) }

    /// The storage table of a synced table.
    public static func dataTable(_ table: String) -> String { "ps_data__" + table }

    /// Statements that (re)create views and triggers and create missing storage; safe to run at every open.
    public func installStatements(existingLocalColumns: [String: Set<String>]) -> [String] {
        var statements: [String] = []
        for table in app.tables {
            if table.localOnly {
                statements += localOnlyStatements(table, existingColumns: existingLocalColumns[table.name])
            } else {
                statements += syncedStatements(table)
            }
        }
        return statements
    }

    private func localOnlyStatements(_ table: TableSchema, existingColumns: Set<String>?) -> [String] {
        let name = Identifier.quoted(table.name)
        guard let existingColumns else {
            let columns = table.columns.map { column in
                column.name == "id"
                    ? "id TEXT PRIMARY KEY NOT NULL"
                    : Identifier.quoted(column.name) + " " + Self.sqliteType(column.type)
            }
            return ["CREATE TABLE IF NOT EXISTS \(name) (\(columns.joined(separator: ", ")))"]
        }
        // Columns added to the config later are added to the device's table; removed ones stay (harmless).
        return table.columns.filter { !existingColumns.contains($0.name) }.map {
            "ALTER TABLE \(name) ADD COLUMN \(Identifier.quoted($0.name)) \(Self.sqliteType($0.type))"
        }
    }

    private func syncedStatements(_ table: TableSchema) -> [String] {
        let name = Identifier.quoted(table.name)
        let data = Identifier.quoted(Self.dataTable(table.name))
        let columns = table.columns.filter { $0.name != "id" }
        let typeName = "'" + table.name + "'"
        let selectList =
            (["id"]
            + columns.map {
                "CAST(json_extract(data, '$.\($0.name)') AS \(Self.sqliteType($0.type)))"
            }).joined(separator: ", ")
        let viewColumns = (["id"] + columns.map { Identifier.quoted($0.name) }).joined(separator: ", ")
        func jsonObject(_ prefix: String) -> String {
            "json_object("
                + columns.map { "'\($0.name)', " + Self.jsonValue("\(prefix).\(Identifier.quoted($0.name))", $0.type) }
                .joined(separator: ", ") + ")"
        }
        let newJSON = jsonObject("NEW")
        let oldJSON = jsonObject("OLD")
        // PUT omits nulls; PATCH carries the columns whose value changed (`null` for cleared ones).
        // json_each gives numbers back as SQL values, which json_group_object would write with 15 digits again.
        let putData =
            "(SELECT json_group_object(key, \(Self.jsonValue("value", .real))) FROM json_each(\(newJSON)) WHERE type != 'null')"
        let patchData = """
            (SELECT json_group_object(n.key, \(Self.jsonValue("n.value", .real))) FROM json_each(\(newJSON)) AS n \
            WHERE n.value IS NOT (SELECT o.value FROM json_each(\(oldJSON)) AS o WHERE o.key = n.key) \
            OR n.type IS NOT (SELECT o.type FROM json_each(\(oldJSON)) AS o WHERE o.key = n.key))
            """
        let txID = "(SELECT current_tx FROM ps_tx WHERE id = 1)"
        let markPending = """
            INSERT OR REPLACE INTO ps_kv(key, value) VALUES ('\(ClientKV.targetWriteCheckpoint)', \(Int64.max));
            """
        let indexes = table.indexes.filter { !$0.unique }.map { index in
            let indexName = Identifier.quoted(Self.dataTable(table.name) + "__" + index.resolvedName(table: table.name))
            let expressions = index.columns.map { "json_extract(data, '$.\($0)')" }.joined(separator: ", ")
            return "CREATE INDEX IF NOT EXISTS \(indexName) ON \(data)(\(expressions))"
        }
        return [
            "CREATE TABLE IF NOT EXISTS \(data) (id TEXT PRIMARY KEY NOT NULL, data TEXT)",
            "DROP VIEW IF EXISTS \(name)",
            "CREATE VIEW \(name)(\(viewColumns)) AS SELECT \(selectList) FROM \(data)",
            """
            CREATE TRIGGER \(Identifier.quoted("ps_view_insert_" + table.name)) INSTEAD OF INSERT ON \(name) FOR EACH ROW BEGIN
              SELECT CASE WHEN NEW.id IS NULL OR typeof(NEW.id) != 'text'
                THEN RAISE(FAIL, 'id is required and must be text') END;
              \(Self.insertChecks(table))
              INSERT INTO \(data)(id, data) VALUES (NEW.id, \(newJSON));
              INSERT INTO ps_crud(tx_id, data) VALUES (\(txID),
                json_object('op', 'PUT', 'type', \(typeName), 'id', NEW.id, 'data', json(\(putData))));
              INSERT OR IGNORE INTO ps_updated_rows(row_type, row_id) VALUES (\(typeName), NEW.id);
              \(markPending)
            END
            """,
            """
            CREATE TRIGGER \(Identifier.quoted("ps_view_update_" + table.name)) INSTEAD OF UPDATE ON \(name) FOR EACH ROW BEGIN
              SELECT CASE WHEN OLD.id IS NOT NEW.id THEN RAISE(FAIL, 'Cannot update id') END;
              \(Self.updateChecks(table))
              UPDATE \(data) SET data = \(newJSON) WHERE id = NEW.id;
              INSERT INTO ps_crud(tx_id, data) SELECT \(txID),
                json_object('op', 'PATCH', 'type', \(typeName), 'id', NEW.id, 'data', json(diff))
                FROM (SELECT \(patchData) AS diff) WHERE diff IS NOT NULL AND diff != '{}';
              INSERT OR IGNORE INTO ps_updated_rows(row_type, row_id) VALUES (\(typeName), NEW.id);
              \(markPending)
            END
            """,
            """
            CREATE TRIGGER \(Identifier.quoted("ps_view_delete_" + table.name)) INSTEAD OF DELETE ON \(name) FOR EACH ROW BEGIN
              DELETE FROM \(data) WHERE id = OLD.id;
              INSERT INTO ps_crud(tx_id, data) VALUES (\(txID),
                json_object('op', 'DELETE', 'type', \(typeName), 'id', OLD.id));
              INSERT OR IGNORE INTO ps_updated_rows(row_type, row_id) VALUES (\(typeName), OLD.id);
              \(markPending)
            END
            """,
        ] + indexes
    }

    /// The SQL giving `value` to `json_object`. SQLite writes a REAL there with 15 significant digits, which lost
    /// 3.141592653589793 (stored as 3.14159265358979 on the device, in its upload and in Postgres): a real that
    /// 15 digits do not give back goes in with its exact 17-digit text (`exactRealText`). Other values as they are.
    /// A real without one (refused by the triggers' checks before it gets here) falls back to SQLite's 17 digits.
    static func jsonValue(_ value: String, _ type: ColumnType) -> String {
        guard type == .real else { return value }
        return """
            CASE WHEN typeof(\(value)) = 'real' AND CAST(printf('%!.15g', \(value)) AS REAL) != \(value) \
            THEN json(COALESCE(\(exactRealText(value)), printf('%!.17g', \(value)))) ELSE \(value) END
            """
    }

    /// SQL giving a text that reads back as the REAL `value` exactly, or NULL when SQLite cannot print one.
    ///
    /// SQLite's printf is not exact at 17 digits for about 1 real in 400 (mostly huge magnitudes): it printed
    /// 1.7976931348623157e308 as 1.7976931348623156e+308, a different number. Its last digit is then one too
    /// low, so the text with that digit raised is tried too. NULL also for infinities, which JSON cannot hold.
    static func exactRealText(_ value: String) -> String {
        let digits = "printf('%!.17g', \(value))"
        let exponent = "instr(\(digits), 'e')"
        let raised = """
            CASE WHEN \(exponent) = 0 \
            THEN substr(\(digits), 1, length(\(digits)) - 1) || (CAST(substr(\(digits), -1) AS INTEGER) + 1) \
            ELSE substr(\(digits), 1, \(exponent) - 2) || (CAST(substr(\(digits), \(exponent) - 1, 1) AS INTEGER) + 1) \
            || substr(\(digits), \(exponent)) END
            """
        return """
            (CASE WHEN CAST(\(digits) AS REAL) = \(value) THEN \(digits) \
            WHEN CAST(\(raised) AS REAL) = \(value) THEN \(raised) END)
            """
    }

    /// The SQLite column type of a config type (booleans are 0/1 integers, timestamps and JSON are text).
    public static func sqliteType(_ type: ColumnType) -> String {
        switch type {
        case .text, .timestamp, .json: "TEXT"
        case .integer, .boolean: "INTEGER"
        case .real: "REAL"
        }
    }
}
