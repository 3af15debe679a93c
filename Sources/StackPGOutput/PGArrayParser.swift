/// Parses Postgres array text output (`{a,"b c",NULL}`, nested `{{1,2},{3,4}}`, `[0:1]={…}` bounds).
enum PGArrayParser {
    /// A parsed array node.
    enum Element: Hashable {
        /// Unquoted NULL.
        case null
        /// A scalar element's text.
        case value(String)
        /// A nested dimension.
        case array([Element])
    }

    /// Why array text could not be parsed.
    struct Malformed: Error {
        /// Byte offset where parsing failed.
        let offset: Int
    }

    /// Parses the whole text or throws `Malformed`.
    static func parse(_ text: String, delimiter: UInt8 = UInt8(ascii: ",")) throws -> Element {
        let bytes = Array(text.utf8)
        var index = 0
        // Optional dimension decoration, e.g. "[0:2]={1,2,3}".
        if bytes.first == UInt8(ascii: "[") {
            guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else { throw Malformed(offset: 0) }
            index = equals + 1
        }
        let element = try parseArray(bytes, &index, delimiter)
        skipSpaces(bytes, &index)
        guard index == bytes.count else { throw Malformed(offset: index) }
        return element
    }

    private static func parseArray(_ bytes: [UInt8], _ index: inout Int, _ delimiter: UInt8) throws -> Element {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { throw Malformed(offset: index) }
        index += 1
        var elements: [Element] = []
        skipSpaces(bytes, &index)
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .array([])
        }
        while true {
            skipSpaces(bytes, &index)
            guard index < bytes.count else { throw Malformed(offset: index) }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                elements.append(try parseArray(bytes, &index, delimiter))
            case UInt8(ascii: "\""):
                elements.append(.value(try parseQuoted(bytes, &index)))
            default:
                elements.append(try parseUnquoted(bytes, &index, delimiter))
            }
            skipSpaces(bytes, &index)
            guard index < bytes.count else { throw Malformed(offset: index) }
            if bytes[index] == delimiter {
                index += 1
            } else if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .array(elements)
            } else {
                throw Malformed(offset: index)
            }
        }
    }

    private static func parseQuoted(_ bytes: [UInt8], _ index: inout Int) throws -> String {
        index += 1
        var value: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\\") {
                guard index < bytes.count else { break }
                value.append(bytes[index])
                index += 1
            } else if byte == UInt8(ascii: "\"") {
                return String(decoding: value, as: UTF8.self)
            } else {
                value.append(byte)
            }
        }
        throw Malformed(offset: index)
    }

    private static func parseUnquoted(_ bytes: [UInt8], _ index: inout Int, _ delimiter: UInt8) throws -> Element {
        var value: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            if byte == delimiter || byte == UInt8(ascii: "}") { break }
            if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "\"") { throw Malformed(offset: index) }
            index += 1
            if byte == UInt8(ascii: "\\") {
                guard index < bytes.count else { throw Malformed(offset: index) }
                value.append(bytes[index])
                index += 1
            } else {
                value.append(byte)
            }
        }
        while let last = value.last, last == UInt8(ascii: " ") { value.removeLast() }
        guard !value.isEmpty else { throw Malformed(offset: index) }
        let text = String(decoding: value, as: UTF8.self)
        return text.caseInsensitiveCompare("NULL") ? .null : .value(text)
    }

    private static func skipSpaces(_ bytes: [UInt8], _ index: inout Int) {
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
    }
}

extension String {
    fileprivate func caseInsensitiveCompare(_ other: String) -> Bool {
        lowercased() == other.lowercased()
    }
}
