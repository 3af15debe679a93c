import PostgresNIO
import StackConfig
import StackCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A client value converted for one column: what is bound, and the SQL placeholder cast.
enum ColumnValue: Sendable, Equatable {
    case null
    case text(String)
    case integer(Int64)
    case real(Double)
    case boolean(Bool)
    case timestamp(Date)
    case json(String)

    /// Appends the bind.
    func bind(to bindings: inout PostgresBindings) {
        switch self {
        case .null: bindings.appendNull()
        case .text(let value): bindings.append(value)
        case .integer(let value): bindings.append(value)
        case .real(let value): bindings.append(value)
        case .boolean(let value): bindings.append(value)
        case .timestamp(let value): bindings.append(value)
        case .json(let value): bindings.append(value)
        }
    }
}

/// Converts JSON values from devices (SQLite's view of the data) to the column types of the config.
enum ValueConverter {
    /// The value for `column`, or nil when it cannot be converted (the caller names column and type).
    static func convert(_ value: JSONValue, to type: ColumnType) -> ColumnValue? {
        if case .null = value { return .null }
        switch type {
        case .text:
            switch value {
            case .string(let text): return .text(text)
            case .integer(let number): return .text(String(number))
            case .double(let number): return .text(String(number))
            default: return nil
            }
        case .integer:
            switch value {
            case .integer(let number): return .integer(number)
            case .double(let number) where number.rounded() == number && abs(number) < 9.2e18: return .integer(Int64(number))
            case .bool(let flag): return .integer(flag ? 1 : 0)
            case .string(let text): return Int64(text.trimmingCharacters(in: .whitespaces)).map(ColumnValue.integer)
            default: return nil
            }
        case .real:
            switch value {
            case .integer(let number): return .real(Double(number))
            case .double(let number): return .real(number)
            case .string(let text): return Double(text.trimmingCharacters(in: .whitespaces)).map(ColumnValue.real)
            default: return nil
            }
        case .boolean:
            switch value {
            case .bool(let flag): return .boolean(flag)
            case .integer(0), .string("0"), .string("false"): return .boolean(false)
            case .integer(1), .string("1"), .string("true"): return .boolean(true)
            default: return nil
            }
        case .timestamp:
            switch value {
            case .integer(let number): return timestamp(unixDate(Double(number)))
            case .double(let number) where number.isFinite: return timestamp(unixDate(number))
            case .string(let text): return timestamp(TimestampText.parse(text))
            default: return nil
            }
        case .json:
            // SQLite keeps JSON as text: a string that parses as JSON is that JSON, any other string a JSON string.
            if case .string(let text) = value, let parsed = try? UploadJSON.parse(Array(text.utf8)) {
                return .json(encode(parsed))
            }
            return .json(encode(value))
        }
    }

    /// Seconds since 1970 that Postgres' timestamptz can hold (4713 BC to 294276 AD).
    static let timestampRange: ClosedRange<Double> = -210_866_803_200...9_224_318_015_999

    /// The value for a date inside Postgres' range, else nil: binding a date outside it traps in the encoder.
    static func timestamp(_ date: Date?) -> ColumnValue? {
        guard let date, timestampRange.contains(date.timeIntervalSince1970) else { return nil }
        return .timestamp(date)
    }

    /// Seconds when |v| < 10^10 (until 2286), else milliseconds, as the seed's upload handler decides.
    static func unixDate(_ value: Double) -> Date {
        Date(timeIntervalSince1970: abs(value) < 10_000_000_000 ? value : value / 1000)
    }

    static func encode(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }

    /// `string`, `number`, … for messages.
    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .integer, .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// ISO 8601 timestamps as devices write them: `2024-05-01T12:00:00Z`, with fractions, offsets, a space instead of
/// `T` (SQLite's `datetime()`), or a bare date; no zone means UTC.
enum TimestampText {
    static func parse(_ raw: String) -> Date? {
        var text = raw.trimmingCharacters(in: .whitespaces)
        guard text.count >= 10, text.count <= 40 else { return nil }
        if text.count == 10 { text += "T00:00:00" }
        if text.count > 10, text[text.index(text.startIndex, offsetBy: 10)] == " " {
            text.replaceSubrange(text.index(text.startIndex, offsetBy: 10)...text.index(text.startIndex, offsetBy: 10), with: "T")
        }
        let timePart = text.dropFirst(11)
        if !(timePart.hasSuffix("Z") || timePart.contains("+") || timePart.contains("-")) { text += "Z" }
        for format in formats {
            if let date = try? format.parse(text) { return date }
        }
        return nil
    }

    private static let formats: [Date.ISO8601FormatStyle] = [
        Date.ISO8601FormatStyle(includingFractionalSeconds: true),
        Date.ISO8601FormatStyle(includingFractionalSeconds: false),
    ]
}
