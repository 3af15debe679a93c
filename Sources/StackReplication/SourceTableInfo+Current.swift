import Logging
import PostgresNIO
import StackBuckets
import StackConfig
import StackSyncRules

extension SourceTableInfo {
    /// The current values of `names` in the source row whose key columns hold `row`'s values; nil when that row no
    /// longer exists or its key cannot be written back as text.
    func currentValues(of names: [String], keyedLike row: SQLiteRow, client: PostgresClient, logger: Logger)
        async throws -> [String: SQLiteValue]?
    {
        let wanted = columns.filter { names.contains($0.name) }
        guard !wanted.isEmpty else { return [:] }
        var bindings = PostgresBindings()
        var conditions: [String] = []
        for key in columns where key.isKey {
            let text: String
            switch row[key.name] {
            case .integer(let value)?: text = String(value)
            case .real(let value)?: text = String(value)
            case .text(let value)?: text = value
            default: return nil
            }
            bindings.append(text)
            conditions.append("\(Identifier.quoted(key.name)) = $\(conditions.count + 1)::text::\(key.typeName)")
        }
        guard !conditions.isEmpty else { return nil }
        // Identifiers come from the catalog and are quoted; the key values are bound.
        let sql = """
            SELECT \(wanted.map { "\(Identifier.quoted($0.name))::text" }.joined(separator: ", "))
            FROM \(Identifier.quoted(table.schema)).\(Identifier.quoted(table.name))
            WHERE \(conditions.joined(separator: " AND "))
            """
        let rows = try await client.queryIfOpen(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        for try await cells in rows {
            var values: [String: SQLiteValue] = [:]
            for (column, cell) in zip(wanted, cells) {
                values[column.name] = RowMapper.value(typeOID: column.typeOID, text: try cell.decode(String?.self))
            }
            return values
        }
        return nil
    }
}
