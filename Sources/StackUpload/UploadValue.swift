import StackCore

/// A JSON value of an upload body. Numbers keep their literal text, so a column of type text or json stores what
/// the device sent (`12345678901234567890123`, `1e2`, `-0`, `1e400`) rather than a `Double`'s rendering of it.
public enum UploadValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([UploadValue])
    case object([String: UploadValue])

    /// The value as JSON text, keys sorted, numbers as sent.
    var jsonText: String {
        var writer = JSONTextWriter()
        write(to: &writer)
        return writer.text
    }

    private func write(to writer: inout JSONTextWriter) {
        switch self {
        case .null: writer.raw("null")
        case .bool(let flag): flag ? writer.raw("true") : writer.raw("false")
        case .number(let number): writer.unescaped(number.literal)
        case .string(let text): writer.quoted(text)
        case .array(let values):
            writer.raw("[")
            for (index, value) in values.enumerated() {
                if index > 0 { writer.raw(",") }
                value.write(to: &writer)
            }
            writer.raw("]")
        case .object(let fields):
            writer.raw("{")
            for (index, key) in fields.keys.sorted().enumerated() {
                if index > 0 { writer.raw(",") }
                writer.quoted(key)
                writer.raw(":")
                fields[key]!.write(to: &writer)
            }
            writer.raw("}")
        }
    }
}

/// A JSON number: its literal text (valid RFC 8259 grammar) and, where it has them, its exact 64-bit integer value
/// and its `Double` value (nil beyond the double range, like `1e400`).
public struct JSONNumber: Sendable, Hashable {
    /// The text as sent.
    public let literal: String
    /// The value when the literal is an integer that fits in 64 bits.
    public let integer: Int64?
    /// The nearest double, nil when the magnitude exceeds the double range.
    public let double: Double?

    /// The number of a literal already checked against the grammar.
    init(literal: String, isInteger: Bool) {
        self.literal = literal
        integer = isInteger ? Int64(literal) : nil
        double = Double(literal).flatMap { $0.isFinite ? $0 : nil }
    }
}
