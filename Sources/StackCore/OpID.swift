import Foundation

/// A PowerSync op id: a 64-bit position in the global op sequence, a base-10 string on the wire.
public struct OpID: Sendable, Hashable, Comparable, Codable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    /// The numeric value.
    public var value: Int64

    /// Creates an op id.
    public init(_ value: Int64) {
        self.value = value
    }

    /// Creates an op id from an integer literal.
    public init(integerLiteral value: Int64) {
        self.value = value
    }

    /// Parses a base-10 string; nil for anything else.
    public init?(_ text: String) {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int64(text) else {
            return nil
        }
        self.value = value
    }

    /// The zero position (nothing downloaded yet).
    public static let zero = OpID(0)

    /// The decimal text.
    public var description: String { String(value) }

    /// Orders by value.
    public static func < (lhs: OpID, rhs: OpID) -> Bool { lhs.value < rhs.value }

    /// Decodes a decimal string; plain JSON integers are accepted too (lenient towards old peers).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard let id = OpID(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "op id '\(text)' is not a base-10 integer")
            }
            self = id
        } else if let number = try? container.decode(Double.self), number.rounded() != number || abs(number) >= 9.2e18 {
            // Foundation reports a fraction or an overflow as "not valid JSON" without a path: say what it is instead.
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "op id \(number) is not an Int64")
        } else {
            self.value = try container.decode(Int64.self)
        }
    }

    /// Encodes as a decimal string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
