/// JSON extraction as PowerSync implements `->`, `->>` and `json_extract` (edition-1 "legacy" behaviour).
enum JSONFunctions {
    /// How the extraction result is returned.
    enum Operator {
        /// `->`: JSON text, NULL when missing or null.
        case json
        /// `->>`: SQL value.
        case sql
        /// `json_extract(json, path)`: SQL value, the path must start with `$`.
        case function
    }

    /// Parses JSON text, mapping failures to an evaluation error.
    static func parse(_ text: String) throws(SQLEvaluationError) -> JSONValue {
        do {
            return try JSONValue.parse(text)
        } catch {
            throw SQLEvaluationError("Invalid JSON: \(error.reason) at offset \(error.offset)")
        }
    }

    /// Extracts `path` from the JSON text of `source`.
    static func extract(_ source: SQLiteValue, path: SQLiteValue, as op: Operator) throws(SQLEvaluationError)
        -> SQLiteValue
    {
        guard let text = source.textValue, !path.isNull else { return .null }
        return try extract(from: parse(text), path: path, as: op)
    }

    /// Extracts `path` from an already parsed JSON value.
    static func extract(from root: JSONValue, path: SQLiteValue, as op: Operator) throws(SQLEvaluationError)
        -> SQLiteValue
    {
        guard let pathText = path.textValue else { return .null }
        let isProperPath = pathText.hasPrefix("$")
        if op == .function, !isProperPath {
            throw SQLEvaluationError("JSON path must start with $.")
        }
        // Legacy (edition 1): the path is always split on '.', so `->> 'a.b'` reads a → b.
        var components = pathText.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if isProperPath { components.removeFirst() }
        var current: JSONValue? = root
        for component in components {
            guard let value = current else { break }
            if case .null = value { break }
            current = member(of: value, named: component)
        }
        switch op {
        case .json:
            guard let value = current else { return .null }
            if case .null = value { return .null }
            return .text(value.jsonText())
        case .sql, .function:
            guard let value = current else { return .null }
            return value.extractedSQLiteValue(legacyNull: true)
        }
    }

    /// JavaScript property access on a parsed JSON value: object members, array indexes.
    private static func member(of value: JSONValue, named name: String) -> JSONValue? {
        switch value {
        case .object: return value[name]
        case .array(let elements):
            guard let index = Int(name), index >= 0, index < elements.count, String(index) == name else { return nil }
            return elements[index]
        default: return nil
        }
    }

    /// `json_array_length(json [, path])`: element count, 0 for non-arrays, NULL for NULL.
    static func arrayLength(_ json: SQLiteValue, path: SQLiteValue?) throws(SQLEvaluationError) -> SQLiteValue {
        var source = json
        if let path, !path.isNull {
            source = try extract(json, path: path, as: .function)
        }
        guard let text = source.textValue else { return .null }
        if case .array(let elements) = try parse(text) { return .integer(Int64(elements.count)) }
        return .integer(0)
    }

    /// `json_valid(x)`: 1 if x is valid JSON text.
    static func isValid(_ value: SQLiteValue) -> SQLiteValue {
        guard let text = value.textValue else { return .integer(0) }
        return .bool((try? JSONValue.parse(text)) != nil)
    }

    /// `json_keys(x)`: the object's keys as a JSON array text.
    static func keys(_ value: SQLiteValue) throws(SQLEvaluationError) -> SQLiteValue {
        guard let text = value.textValue else { return .null }
        switch try parse(text) {
        case .object(let members):
            return .text(JSONValue.array(members.map { .string($0.key) }).jsonText())
        case .array: throw SQLEvaluationError("Cannot call json_keys on an array")
        default: throw SQLEvaluationError("Cannot call json_keys on a scalar")
        }
    }

    /// `json_each(x)` rows as (key, value) pairs: array index or object key, and the element as a SQL value.
    static func each(_ value: SQLiteValue) throws(SQLEvaluationError) -> [(key: SQLiteValue, value: SQLiteValue)] {
        switch value {
        case .null: return []
        case .text(let text):
            let parsed: JSONValue
            do {
                parsed = try JSONValue.parse(text)
            } catch {
                throw SQLEvaluationError("Expected JSON string")
            }
            switch parsed {
            case .array(let elements):
                return elements.enumerated().map { (SQLiteValue.integer(Int64($0.offset)),
                    $0.element.extractedSQLiteValue(legacyNull: true)) }
            case .object(let members):
                return members.map { (SQLiteValue.text($0.key), $0.value.extractedSQLiteValue(legacyNull: true)) }
            default:
                return [(.null, parsed.extractedSQLiteValue(legacyNull: true))]
            }
        default:
            throw SQLEvaluationError("Expected json_each to be called with a string, got \(value)")
        }
    }
}
