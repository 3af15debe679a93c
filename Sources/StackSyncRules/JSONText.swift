import StackCore

/// JSON text rendering with JavaScript's `JSON.stringify` escaping and number layout.
enum JSONText {
    /// A real number; with `preserveRealType` an integral real keeps a `.0` suffix (PowerSync's JSONBig).
    static func real(_ value: Double, preserveRealType: Bool) -> String {
        // JSON has no NaN or Infinity; JSON.stringify writes null.
        guard value.isFinite else { return "null" }
        let text = JavaScriptNumber.format(value)
        if preserveRealType, !text.contains("."), !text.contains("e") {
            return text + ".0"
        }
        return text
    }
}

extension JSONValue {
    /// Compact JSON text; `preserveRealType` writes integral reals as `1.0` (PowerSync JSONBig) instead of `1`.
    public func jsonText(preserveRealType: Bool = true) -> String {
        var output = ""
        write(into: &output, preserveRealType: preserveRealType)
        return output
    }

    private func write(into output: inout String, preserveRealType: Bool) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .integer(let value): output += String(value)
        case .real(let value): output += JSONText.real(value, preserveRealType: preserveRealType)
        case .string(let value): JSONString.append(value, to: &output)
        case .array(let elements):
            output += "["
            for (offset, element) in elements.enumerated() {
                if offset > 0 { output += "," }
                element.write(into: &output, preserveRealType: preserveRealType)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (offset, member) in members.enumerated() {
                if offset > 0 { output += "," }
                JSONString.append(member.key, to: &output)
                output += ":"
                member.value.write(into: &output, preserveRealType: preserveRealType)
            }
            output += "}"
        }
    }

    /// The SQLite value a JSON extraction yields (`jsonValueToSqlite`): booleans 1/0, containers as JSON text;
    /// with `legacyNull` a JSON null becomes the text `'null'` (edition 1), otherwise SQL NULL.
    func extractedSQLiteValue(legacyNull: Bool) -> SQLiteValue {
        switch self {
        case .null: legacyNull ? .text("null") : .null
        case .bool(let value): .bool(value)
        case .integer(let value): .integer(value)
        case .real(let value): .real(value)
        case .string(let value): .text(value)
        case .array, .object: .text(jsonText())
        }
    }

    /// The SQLite value of a request parameter (`toSyncRulesValue`): booleans 1/0 also inside containers.
    var requestSQLiteValue: SQLiteValue {
        switch self {
        case .null: .null
        case .bool(let value): .bool(value)
        case .integer(let value): .integer(value)
        case .real(let value): .real(value)
        case .string(let value): .text(value)
        case .array, .object: .text(booleansAsIntegers.jsonText())
        }
    }

    /// A copy with every boolean replaced by 1 or 0 (PowerSync's `filterJsonData`).
    var booleansAsIntegers: JSONValue {
        switch self {
        case .bool(let value): .integer(value ? 1 : 0)
        case .array(let elements): .array(elements.map(\.booleansAsIntegers))
        case .object(let members):
            .object(members.map { JSONMember(key: $0.key, value: $0.value.booleansAsIntegers) })
        default: self
        }
    }
}

extension SQLiteValue {
    /// The JSON value of a persisted column (nil for blobs, which are never synced).
    public var jsonValue: JSONValue? {
        switch self {
        case .null: .null
        case .integer(let value): .integer(value)
        case .real(let value): .real(value)
        case .text(let value): .string(value)
        case .blob: nil
        }
    }
}
