/// How deeply a JSON text nests arrays and objects, found without parsing it.
///
/// Decoding deeply nested JSON into `JSONValue` costs far more than its size (a 4 KB body of 2,000 nested arrays
/// took seconds), so request bodies and token parts deeper than `limit` are refused before they are decoded.
enum JSONNesting {
    /// Deeper than any sync request or token payload needs.
    static let limit = 64

    /// Whether `bytes` nest arrays and objects more than `limit` levels deep (brackets inside strings ignored).
    static func exceedsLimit(_ bytes: some Sequence<UInt8>) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return false
    }
}
