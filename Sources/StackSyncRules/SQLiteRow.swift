import struct StackCore.JSONTextWriter

/// One named column value of a row.
public struct SQLiteColumn: Sendable, Hashable {
    /// The column name.
    public var name: String
    /// The value.
    public var value: SQLiteValue

    /// Creates a column.
    public init(name: String, value: SQLiteValue) {
        self.name = name
        self.value = value
    }
}

/// A row with ordered columns (the order of a source table or of a SELECT list).
public struct SQLiteRow: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    /// The columns in order; names are unique.
    public private(set) var columns: [SQLiteColumn]

    /// Creates a row from ordered columns (a later duplicate replaces the earlier value in place).
    public init(_ columns: [SQLiteColumn] = []) {
        // Names are nearly always unique already (a table's columns): then the array is taken as it is.
        var unique = true
        check: for index in columns.indices.dropFirst() {
            for earlier in columns.indices[..<index] where columns[earlier].name == columns[index].name {
                unique = false
                break check
            }
        }
        if unique {
            self.columns = columns
            return
        }
        self.columns = []
        for column in columns { self[column.name] = column.value }
    }

    /// Creates a row from columns whose names the caller knows to be unique.
    init(uniqueColumns: [SQLiteColumn]) {
        self.columns = uniqueColumns
    }

    /// Creates a row from a dictionary; columns are sorted by name for a deterministic order.
    public init(_ dictionary: [String: SQLiteValue]) {
        self.init(dictionary.keys.sorted().map { SQLiteColumn(name: $0, value: dictionary[$0]!) })
    }

    /// Creates a row keeping the literal's order.
    public init(dictionaryLiteral elements: (String, SQLiteValue)...) {
        self.init(elements.map { SQLiteColumn(name: $0.0, value: $0.1) })
    }

    /// The value of `name`, nil when absent; assigning keeps the column's position.
    public subscript(name: String) -> SQLiteValue? {
        get { columns.first { $0.name == name }?.value }
        set {
            if let index = columns.firstIndex(where: { $0.name == name }) {
                if let newValue { columns[index].value = newValue } else { columns.remove(at: index) }
            } else if let newValue {
                columns.append(SQLiteColumn(name: name, value: newValue))
            }
        }
    }

    /// Column names in order.
    public var names: [String] { columns.map(\.name) }

    /// The columns as a dictionary.
    public var dictionary: [String: SQLiteValue] {
        var result: [String: SQLiteValue] = [:]
        result.reserveCapacity(columns.count)
        for column in columns { result[column.name] = column.value }
        return result
    }

    /// JSON object text as PowerSync stores row data: blobs dropped, integral reals written as `1.0`.
    // Written directly rather than through `JSONValue`: every replicated row is serialised at least once.
    public var jsonText: String {
        var size = 2
        for column in columns {
            size += column.name.utf8.count + 6
            switch column.value {
            case .text(let value): size += value.utf8.count
            case .null, .integer, .real: size += 24
            case .blob: break
            }
        }
        var writer = JSONTextWriter(capacity: size)
        writer.raw("{")
        var first = true
        for column in columns {
            if case .blob = column.value { continue }
            if !first { writer.raw(",") }
            first = false
            writer.quoted(column.name)
            writer.raw(":")
            switch column.value {
            case .null: writer.raw("null")
            case .integer(let value): writer.unescaped(String(value))
            case .real(let value): writer.unescaped(JSONText.real(value, preserveRealType: true))
            case .text(let value): writer.quoted(value)
            case .blob: break
            }
        }
        writer.raw("}")
        return writer.text
    }
}
