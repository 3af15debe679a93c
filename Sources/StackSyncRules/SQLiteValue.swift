import Foundation

/// A value with SQLite's five storage classes, as the sync-rules evaluator sees it.
public enum SQLiteValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    /// SQLite's `typeof()` name: null, integer, real, text or blob.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .integer: "integer"
        case .real: "real"
        case .text: "text"
        case .blob: "blob"
        }
    }

    /// True for `.null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// True for values that can be persisted as JSON (everything except blobs).
    public var isJSONCompatible: Bool {
        if case .blob = self { return false }
        return true
    }

    /// The SQLite boolean 1 or 0.
    public static func bool(_ value: Bool) -> SQLiteValue {
        .integer(value ? 1 : 0)
    }

    /// The value cast to text the way PowerSync does (numbers in JavaScript notation, blobs as UTF-8), nil for NULL.
    public var textValue: String? {
        switch self {
        case .null: nil
        case .integer(let value): String(value)
        case .real(let value): JavaScriptNumber.format(value)
        case .text(let value): value
        case .blob(let bytes): String(decoding: bytes, as: UTF8.self)
        }
    }

    /// PowerSync's `sqliteBool`: NULL, zero and blobs are false; text is true when its leading integer
    /// (JavaScript `parseInt`) is non-zero.
    public var isTruthy: Bool {
        switch self {
        case .null, .blob: false
        case .integer(let value): value != 0
        case .real(let value): value != 0 && !value.isNaN
        case .text:
            if case .integer(let value) = SQLiteCast.integer(self) { value != 0 } else { false }
        }
    }
}

extension SQLiteValue: CustomStringConvertible {
    /// A debug rendering such as `'text'`, `42`, `NULL` or `x'0A'`.
    public var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let value): String(value)
        case .real(let value): JavaScriptNumber.format(value)
        case .text(let value): "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
        case .blob(let bytes): "x'" + bytes.map { hexByte($0) }.joined() + "'"
        }
    }
}

/// Two upper-case hex digits for a byte.
func hexByte(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
}

extension SQLiteValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByNilLiteral
{
    /// A text value.
    public init(stringLiteral value: String) { self = .text(value) }
    /// An integer value.
    public init(integerLiteral value: Int64) { self = .integer(value) }
    /// A real value.
    public init(floatLiteral value: Double) { self = .real(value) }
    /// NULL.
    public init(nilLiteral: ()) { self = .null }
}
