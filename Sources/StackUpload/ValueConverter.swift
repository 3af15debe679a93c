import NIOCore
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
    case timestamp(UTCTimestamp)
    case json(String)

    /// Appends the bind.
    func bind(to bindings: inout PostgresBindings) {
        switch self {
        case .null: bindings.appendNull()
        case .text(let value): bindings.append(value)
        case .integer(let value): bindings.append(value)
        case .real(let value): bindings.append(value)
        case .boolean(let value): bindings.append(value)
        case .timestamp(let value): bindings.append(PostgresInstant(value))
        case .json(let value): bindings.append(value)
        }
    }
}

/// An instant bound as a binary `timestamptz`: microseconds since 2000-01-01, exact (PostgresNIO's `Date` goes
/// through a `Double` of seconds, which drops microseconds far from 1970).
struct PostgresInstant: PostgresNonThrowingEncodable {
    let instant: UTCTimestamp

    init(_ instant: UTCTimestamp) { self.instant = instant }

    static var psqlType: PostgresDataType { .timestamptz }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(
        into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        buffer.writeInteger(instant.microseconds - ValueConverter.postgresEpoch)
    }
}

/// Converts JSON values from devices (SQLite's view of the data) to the column types of the config.
enum ValueConverter {
    /// The value for `column`, or nil when it cannot be converted (the caller names column and type).
    static func convert(_ value: UploadValue, to type: ColumnType) -> ColumnValue? {
        if case .null = value { return .null }
        switch type {
        case .text:
            switch value {
            case .string(let text): return .text(text)
            // The literal as sent: `1e2` stays `1e2`, 20 digits stay 20 digits.
            case .number(let number): return .text(number.literal)
            default: return nil
            }
        case .integer:
            switch value {
            case .number(let number):
                if let integer = number.integer { return .integer(integer) }
                guard let double = number.double, double.rounded() == double, abs(double) < 9.2e18 else { return nil }
                return .integer(Int64(double))
            case .bool(let flag): return .integer(flag ? 1 : 0)
            case .string(let text): return Int64(text.trimmingCharacters(in: .whitespaces)).map(ColumnValue.integer)
            default: return nil
            }
        case .real:
            switch value {
            case .number(let number): return number.double.map(ColumnValue.real)
            case .string(let text): return Double(text.trimmingCharacters(in: .whitespaces)).map(ColumnValue.real)
            default: return nil
            }
        case .boolean:
            switch value {
            case .bool(let flag): return .boolean(flag)
            case .number(let number) where number.integer == 0: return .boolean(false)
            case .number(let number) where number.integer == 1: return .boolean(true)
            case .string("0"), .string("false"): return .boolean(false)
            case .string("1"), .string("true"): return .boolean(true)
            default: return nil
            }
        case .timestamp:
            switch value {
            case .number(let number):
                if let integer = number.integer { return timestamp(unixInteger: integer) }
                return number.double.flatMap { timestamp(unixNumber: $0) }
            case .string(let text): return timestamp(UTCTimestamp.parseISO8601(text))
            default: return nil
            }
        case .json:
            // SQLite keeps JSON as text: a string that parses as JSON is that JSON, any other string a JSON string.
            // Numbers are written as sent: jsonb holds any precision.
            if case .string(let text) = value, let parsed = try? UploadJSON.parse(Array(text.utf8)) {
                return .json(parsed.jsonText)
            }
            return .json(value.jsonText)
        }
    }

    /// Microseconds since 1970 that Postgres' timestamptz can hold: from 4714-11-24 BC; its end (294277 AD) lies
    /// beyond what 64 bits count from 1970.
    static let timestampRange: ClosedRange<Int64> = -211_813_488_000_000_000 + postgresEpoch...Int64.max

    /// 2000-01-01, Postgres' epoch, in microseconds since 1970.
    static let postgresEpoch: Int64 = 946_684_800_000_000

    /// The value for an instant inside Postgres' range, else nil.
    static func timestamp(_ instant: UTCTimestamp?) -> ColumnValue? {
        guard let instant, timestampRange.contains(instant.microseconds) else { return nil }
        return .timestamp(instant)
    }

    /// Unix seconds when |v| < 10^10 (until 2286), else milliseconds, as the seed's upload handler decides; exact for
    /// integers.
    static func timestamp(unixInteger value: Int64) -> ColumnValue? {
        let scale: Int64 = value.magnitude < 10_000_000_000 ? 1_000_000 : 1000
        let (micros, overflow) = value.multipliedReportingOverflow(by: scale)
        return overflow ? nil : timestamp(UTCTimestamp(microseconds: micros))
    }

    /// Like `timestamp(unixInteger:)` for a number with a fraction, rounded to microseconds.
    static func timestamp(unixNumber value: Double) -> ColumnValue? {
        let micros = (abs(value) < 10_000_000_000 ? value * 1e6 : value * 1e3).rounded()
        guard micros.isFinite, abs(micros) < 9.2e18 else { return nil }
        return timestamp(UTCTimestamp(microseconds: Int64(micros)))
    }

    /// Why a number does not fit a numeric column (` beyond ±9.2e18 or with a fraction`), else empty.
    static func why(_ value: UploadValue, type: ColumnType) -> String {
        guard case .number = value else { return "" }
        switch type {
        case .integer: return " beyond 64 bits or with a fraction"
        case .real, .timestamp: return " beyond the range of a double"
        default: return ""
        }
    }

    /// `string`, `number`, … for messages.
    static func typeName(_ value: UploadValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
