import Foundation
import GRDB
import StackClient
import StackConfig
import StackCore

/// `col=value` arguments of `stack client insert/update`, converted per the column type of the config schema.
enum ClientValues {
    /// Parses `col=value` pairs for `table`; `col=` (empty) is NULL. Columns must exist; `id` only when allowed.
    static func parse(_ assignments: [String], table: TableSchema, allowID: Bool) throws -> [(String, DatabaseValue)] {
        var values: [(String, DatabaseValue)] = []
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "=") else {
                throw StackError("STACK-K103", "'\(assignment)' is not col=value (use col= for NULL).")
            }
            let name = String(assignment[..<equals])
            let text = String(assignment[assignment.index(after: equals)...])
            guard let column = table.column(named: name) else {
                let known = table.columns.map(\.name).joined(separator: ", ")
                throw StackError("STACK-K104", "table \(table.name) has no column '\(name)'. Columns: \(known).")
            }
            if name == "id", !allowID {
                throw StackError("STACK-K105", "the id of a row cannot be changed; pass it as the ID argument.")
            }
            values.removeAll { $0.0 == name }
            values.append((name, try convert(text, column: column, table: table.name)))
        }
        return values
    }

    /// Converts one value per the column type: integer, real, boolean (true/false/1/0), json (validated), text.
    static func convert(_ text: String, column: ColumnSchema, table: String) throws -> DatabaseValue {
        if text.isEmpty { return .null }
        func invalid(_ expected: String) -> StackError {
            StackError(
                "STACK-K106", "\(table).\(column.name) is \(column.type.rawValue): '\(text)' is not \(expected).")
        }
        switch column.type {
        case .integer:
            guard let value = Int64(text) else { throw invalid("an integer") }
            return value.databaseValue
        case .real:
            guard let value = Double(text), value.isFinite else { throw invalid("a number") }
            return value.databaseValue
        case .boolean:
            switch text.lowercased() {
            case "true", "1": return Int64(1).databaseValue
            case "false", "0": return Int64(0).databaseValue
            default: throw invalid("true, false, 1 or 0")
            }
        case .json:
            guard (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)) != nil else {
                throw invalid("valid JSON")
            }
            return text.databaseValue
        case .text, .timestamp:
            return text.databaseValue
        }
    }

    /// Refuses a new row without a value in a column the config declares `nullable: false` without a default
    /// (the device's trigger would refuse it too, one column at a time): names every such column at once.
    static func checkRequired(_ row: [(String, DatabaseValue)], table: TableSchema) throws {
        let missing = ClientSchema.requiredOnInsert(table).map(\.name).filter { name in
            row.first { $0.0 == name }?.1.isNull ?? true
        }
        guard !missing.isEmpty else { return }
        guard missing.count > 1 else {
            throw StackError(
                "STACK-K112",
                ClientSchema.missingValueMessage(table: table.name, column: missing[0])
                    + " Give \(missing[0])=VALUE.")
        }
        throw StackError(
            "STACK-K112",
            "\(table.name) needs values for \(missing.joined(separator: ", ")): the config's schema declares them "
                + "nullable: false, without a default (the server would reject the row). Give "
                + missing.map { "\($0)=VALUE" }.joined(separator: " ") + ".")
    }

    /// Refuses an update setting a `nullable: false` column to NULL (`col=`).
    static func checkNotNull(_ row: [(String, DatabaseValue)], table: TableSchema) throws {
        let notNull = Set(ClientSchema.notNullColumns(table).map(\.name))
        guard let column = row.first(where: { notNull.contains($0.0) && $0.1.isNull })?.0 else { return }
        throw StackError("STACK-K112", ClientSchema.nullUpdateMessage(table: table.name, column: column))
    }

    /// The config default of a column as a value (`now` is the current time), if it has one.
    static func defaultValue(_ column: ColumnSchema, now: String) -> DatabaseValue? {
        switch column.defaultValue {
        case nil: nil
        case .text(let value): value.databaseValue
        case .integer(let value): value.databaseValue
        case .real(let value): value.databaseValue
        case .boolean(let value): Int64(value ? 1 : 0).databaseValue
        case .now: now.databaseValue
        }
    }

    /// The current time to the millisecond, in the form the sync service sends timestamps back
    /// (`2026-12-03 15:07:12.01Z`), so a device's own insert does not come back as an edit of its timestamps and
    /// local rows sort with synced ones.
    static func now(_ date: Date = Date()) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        return UTCTimestamp(microseconds: milliseconds * 1000).legacyText ?? ISO8601DateFormatter().string(from: date)
    }

    /// A stored value as JSON (blobs as base64 text).
    static func json(_ value: DatabaseValue) -> JSONValue {
        switch value.storage {
        case .null: .null
        case .int64(let number): .integer(number)
        case .double(let number): .double(number)
        case .string(let text): .string(text)
        case .blob(let data): .string(data.base64EncodedString())
        }
    }

    /// A stored value for an aligned table cell (NULL is empty, line breaks are shown as spaces).
    static func cell(_ value: DatabaseValue) -> String {
        let text: String
        switch value.storage {
        case .null: text = ""
        case .int64(let number): text = String(number)
        case .double(let number): text = String(number)
        case .string(let string): text = string
        case .blob(let data): text = "<\(data.count) bytes>"
        }
        let flat = text.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
        return flat.count > 60 ? String(flat.prefix(59)) + "…" : flat
    }
}
