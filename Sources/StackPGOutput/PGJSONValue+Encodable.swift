/// Encodes as the plain JSON value (`null`, exact integer, number, string).
extension PGJSONValue: Encodable {
    /// Encodes the single value.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .integer(let value): try container.encode(value)
        case .real(let value): try container.encode(value)
        case .text(let value): try container.encode(value)
        }
    }
}
