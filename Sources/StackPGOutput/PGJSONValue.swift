import StackCore

/// A synced column value as PowerSync represents it: SQLite's types, JSON-able.
public enum PGJSONValue: Hashable, Sendable {
    /// SQL NULL.
    case null
    /// A 64-bit integer (kept exact beyond 2^53; serialize without going through Double).
    case integer(Int64)
    /// A finite double.
    case real(Double)
    /// Text (also JSON documents, numerics and arrays, which stay text).
    case text(String)

    /// The value as a JSON literal: `null`, `42`, `3.14` (integral doubles without `.0`), or a quoted string.
    public var jsonLiteral: String {
        switch self {
        case .null: "null"
        case .integer(let value): String(value)
        case .real(let value): JSONText.number(value)
        case .text(let value): JSONString.quoted(value)
        }
    }
}

/// JSON text helpers shared by the mapper (arrays are synced as JSON text).
enum JSONText {
    /// A JSON number literal.
    // JavaScript prints integral doubles without a fraction (`314`), which is what PowerSync clients see.
    static func number(_ value: Double) -> String {
        if value.rounded() == value, abs(value) < 1e15 {
            return String(Int64(value))
        }
        return String(value)
    }
}
