import NIOCore
import PostgresNIO
import StackConfig

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One column of a multi-row upsert, bound as a binary Postgres array (NULLs included) for `unnest`.
///
/// One array per column keeps a statement at columns + 2 parameters whatever the row count; binary elements need
/// no JSON encoding here nor parsing in Postgres (a jsonb array of rows did both and ran at a quarter of this speed).
struct ColumnArray: PostgresDynamicTypeEncodable {
    /// The element type: the column's own, except JSON (text, cast in the statement).
    let element: PostgresDataType
    let values: [ColumnValue]

    /// The array of `values`, all `.null` or of `type`'s case (the planner converted them).
    init(_ values: [ColumnValue], type: ColumnType) {
        element =
            switch type {
            case .text, .json: .text
            case .integer: .int8
            case .real: .float8
            case .timestamp: .timestamptz
            case .boolean: .bool
            }
        self.values = values
    }

    /// The ids of a step's rows.
    init(ids: [String]) {
        element = .text
        values = ids.map(ColumnValue.text)
    }

    /// The SQL reading the unnested element `reference` as a value of column type `type`.
    static func select(_ reference: String, as type: ColumnType) -> String {
        switch type {
        case .text, .integer, .real, .boolean, .timestamp: reference
        case .json: "\(reference)::jsonb"
        }
    }

    var psqlType: PostgresDataType {
        switch element {
        case .int8: .int8Array
        case .float8: .float8Array
        case .timestamptz: .timestamptzArray
        case .bool: .boolArray
        default: .textArray
        }
    }

    var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(
        into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        // Postgres' array_recv: dimensions, has-nulls flag, element type, then length and lower bound per dimension.
        buffer.writeInteger(values.isEmpty ? 0 : 1, as: Int32.self)
        buffer.writeInteger(values.contains(.null) ? 1 : 0, as: Int32.self)
        buffer.writeInteger(element.rawValue)
        guard !values.isEmpty else { return }
        buffer.writeInteger(Int32(values.count))
        buffer.writeInteger(1, as: Int32.self)
        for value in values {
            switch value {
            case .null:
                buffer.writeInteger(-1, as: Int32.self)
            case .text(let text), .json(let text):
                let start = buffer.writerIndex
                buffer.writeInteger(0, as: Int32.self)
                let length = buffer.writeString(text)
                buffer.setInteger(Int32(length), at: start)
            case .integer(let number):
                buffer.writeInteger(8, as: Int32.self)
                buffer.writeInteger(number)
            case .real(let number):
                buffer.writeInteger(8, as: Int32.self)
                buffer.writeInteger(number.bitPattern)
            case .timestamp(let instant):
                // timestamptz_recv: microseconds since 2000-01-01 UTC, exact (a Double of seconds is not, far from 1970).
                buffer.writeInteger(8, as: Int32.self)
                buffer.writeInteger(instant.microseconds - ValueConverter.postgresEpoch)
            case .boolean(let flag):
                buffer.writeInteger(1, as: Int32.self)
                buffer.writeInteger(flag ? 1 : 0, as: UInt8.self)
            }
        }
    }
}
