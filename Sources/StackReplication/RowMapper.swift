import StackBuckets
import StackPGOutput
import StackSyncRules

/// Maps decoded pgoutput rows into bucket-storage changes (values per PROTOCOL §6.7, columns in table order).
public enum RowMapper {
    /// The SQLite value of one Postgres text value; nil when the column is not synced (bytea).
    public static func value(typeOID: UInt32, text: String?) -> SQLiteValue? {
        switch PGValueMapper.map(typeOID: typeOID, text: text) {
        case nil: nil
        case .null?: .null
        case .integer(let value)?: .integer(value)
        case .real(let value)?: .real(value)
        case .text(let value)?: .text(value)
        }
    }

    /// A full row in column order plus the names of unchanged-TOAST columns (present as NULL placeholders).
    public static func row(_ row: PGRow, table: PGTable) -> (row: SQLiteRow, unchanged: [String]) {
        var columns: [SQLiteColumn] = []
        columns.reserveCapacity(table.columns.count)
        var unchanged: [String] = []
        for column in table.columns {
            switch row[column.name] {
            case .none:
                continue
            case .unchangedToast?:
                unchanged.append(column.name)
                columns.append(SQLiteColumn(name: column.name, value: .null))
            case .null?:
                columns.append(SQLiteColumn(name: column.name, value: .null))
            case .text(let text)?:
                if let value = Self.value(typeOID: column.typeOID, text: text) {
                    columns.append(SQLiteColumn(name: column.name, value: value))
                }
            }
        }
        return (SQLiteRow(columns), unchanged)
    }

    /// The `source_key` of a row: its replica identity values as JSON array text.
    public static func key(_ row: PGRow, table: PGTable) -> String {
        var values: [SQLiteValue] = []
        for column in table.columns where column.isKey {
            switch row[column.name] {
            case .text(let text)?: values.append(Self.value(typeOID: column.typeOID, text: text) ?? .text(text))
            default: values.append(.null)
            }
        }
        return SourceRowKey.keyText(values)
    }

    /// The storage changes of one source transaction, limited to `tables`.
    public static func changes(of transaction: Transaction, tables: Set<SourceTable>) -> [RowChange] {
        var result: [RowChange] = []
        result.reserveCapacity(transaction.changes.count)
        for change in transaction.changes {
            switch change {
            case .insert(let table, let new):
                let source = SourceTable(schema: table.schema, name: table.name)
                guard tables.contains(source) else { continue }
                let (row, unchanged) = Self.row(new, table: table)
                result.append(.put(table: source, key: Self.key(new, table: table), oldKey: nil, row: row, unchanged: unchanged))
            case .update(let table, let old, let new):
                let source = SourceTable(schema: table.schema, name: table.name)
                guard tables.contains(source) else { continue }
                let (row, unchanged) = Self.row(new, table: table)
                let newKey = Self.key(new, table: table)
                let oldKey = old.map { Self.key($0, table: table) }
                result.append(.put(table: source, key: newKey, oldKey: oldKey, row: row, unchanged: unchanged))
            case .delete(let table, let old):
                let source = SourceTable(schema: table.schema, name: table.name)
                guard tables.contains(source) else { continue }
                result.append(.delete(table: source, key: Self.key(old, table: table)))
            case .truncate(let truncated, _, _):
                let sources = truncated.map { SourceTable(schema: $0.schema, name: $0.name) }.filter(tables.contains)
                if !sources.isEmpty { result.append(.truncate(sources)) }
            case .message:
                continue
            }
        }
        return result
    }
}
