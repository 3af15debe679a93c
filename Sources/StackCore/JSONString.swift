/// JSON string literals escaped as JavaScript's `JSON.stringify` does: `"` and `\`, the short escapes `\b \f \n \r
/// \t`, other control characters as lower-case `\u00xx`; everything else (`/` and non-ASCII included) as it is.
public enum JSONString {
    /// `text` as a quoted JSON string literal.
    public static func quoted(_ text: String) -> String {
        var output = "\""
        output.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
        return output
    }
}
