/// JSON string literals escaped as JavaScript's `JSON.stringify` does: `"` and `\`, the short escapes `\b \f \n \r
/// \t`, other control characters as lower-case `\u00xx`; everything else (`/` and non-ASCII included) as it is.
public enum JSONString {
    /// `text` as a quoted JSON string literal.
    public static func quoted(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count + 2)
        append(text, to: &output)
        return output
    }

    /// Appends `text` as a quoted JSON string literal to `output`.
    // Row data of every replicated row passes through here: text without anything to escape (nearly all of it) is
    // appended in one piece, and otherwise the runs between escapes are.
    public static func append(_ text: String, to output: inout String) {
        output.append("\"")
        var start = text.utf8.startIndex
        var index = start
        let end = text.utf8.endIndex
        while index != end {
            let byte = text.utf8[index]
            if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                text.utf8.formIndex(after: &index)
                continue
            }
            // An ASCII byte always starts a scalar, so both slices below fall on scalar boundaries.
            if start != index { output.append(contentsOf: text[start..<index]) }
            output.append(escape(byte))
            text.utf8.formIndex(after: &index)
            start = index
        }
        if start == text.utf8.startIndex {
            output.append(text)
        } else if start != end {
            output.append(contentsOf: text[start..<end])
        }
        output.append("\"")
    }

    /// The escape sequence of an ASCII byte that must not appear as it is in a JSON string.
    static func escape(_ byte: UInt8) -> String {
        switch byte {
        case UInt8(ascii: "\""): return "\\\""
        case UInt8(ascii: "\\"): return "\\\\"
        case 0x08: return "\\b"
        case 0x0C: return "\\f"
        case UInt8(ascii: "\n"): return "\\n"
        case UInt8(ascii: "\r"): return "\\r"
        case UInt8(ascii: "\t"): return "\\t"
        default:
            let hex = String(byte, radix: 16)
            return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        }
    }
}
