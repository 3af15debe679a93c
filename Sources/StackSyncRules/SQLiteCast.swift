/// PowerSync's CAST semantics (`cast.ts`), which follow SQLite's affinity rules closely.
enum SQLiteCast {
    /// The type names accepted by `CAST(x AS type)` and `x :: type`.
    static let types: Set<String> = ["text", "numeric", "integer", "real", "blob"]

    /// Casts a value to one of `types`; NULL stays NULL.
    static func cast(_ value: SQLiteValue, to type: String) -> SQLiteValue {
        if value.isNull { return .null }
        switch type {
        case "text": return value.textValue.map(SQLiteValue.text) ?? .null
        case "numeric": return numeric(value)
        case "real": return real(value)
        case "integer": return integer(value)
        case "blob": return blob(value)
        default: return .null
        }
    }

    /// NUMERIC affinity: the longest numeric prefix of text, as an integer when it has no point or exponent.
    static func numeric(_ value: SQLiteValue) -> SQLiteValue {
        switch value {
        case .null: return .null
        case .integer, .real: return value
        case .text, .blob: return parseNumericPrefix(value.textValue ?? "")
        }
    }

    /// REAL affinity: JavaScript `parseFloat` of text, 0.0 when it is not a number.
    static func real(_ value: SQLiteValue) -> SQLiteValue {
        switch value {
        case .null: return .null
        case .integer(let number): return .real(Double(number))
        case .real: return value
        case .text, .blob:
            switch parseNumericPrefix(value.textValue ?? "") {
            case .integer(let number): return .real(Double(number))
            case .real(let number): return .real(number)
            default: return .real(0)
            }
        }
    }

    /// INTEGER affinity: the leading integer digits of text, floor of a real, 0 otherwise.
    static func integer(_ value: SQLiteValue) -> SQLiteValue {
        switch value {
        case .null: return .null
        case .integer: return value
        case .real(let number):
            let floored = number.rounded(.down)
            guard floored.isFinite, floored >= -9.223372036854775808e18, floored < 9.223372036854775808e18
            else { return .integer(floored < 0 ? Int64.min : Int64.max) }
            return .integer(Int64(floored))
        case .text, .blob:
            return .integer(parseIntegerPrefix(value.textValue ?? ""))
        }
    }

    /// BLOB: the UTF-8 bytes of the text form.
    static func blob(_ value: SQLiteValue) -> SQLiteValue {
        switch value {
        case .null: return .null
        case .blob: return value
        default: return .blob(Array((value.textValue ?? "").utf8))
        }
    }

    /// `^\s*[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?` as PowerSync's `parseNumeric`; 0 when nothing matches.
    private static func parseNumericPrefix(_ text: String) -> SQLiteValue {
        let chars = Array(text.unicodeScalars)
        var index = 0
        while index < chars.count, chars[index].properties.isWhitespace { index += 1 }
        let start = index
        if index < chars.count, chars[index] == "+" || chars[index] == "-" { index += 1 }
        let integerStart = index
        while index < chars.count, isDigit(chars[index]) { index += 1 }
        let integerDigits = index - integerStart
        var isReal = false
        if index < chars.count, chars[index] == "." {
            let fractionStart = index + 1
            var cursor = fractionStart
            while cursor < chars.count, isDigit(chars[cursor]) { cursor += 1 }
            if integerDigits > 0 || cursor > fractionStart {
                isReal = true
                index = cursor
            }
        }
        guard integerDigits > 0 || isReal else { return .integer(0) }
        if index < chars.count, chars[index] == "e" || chars[index] == "E" {
            var cursor = index + 1
            if cursor < chars.count, chars[cursor] == "+" || chars[cursor] == "-" { cursor += 1 }
            let exponentStart = cursor
            while cursor < chars.count, isDigit(chars[cursor]) { cursor += 1 }
            if cursor > exponentStart {
                isReal = true
                index = cursor
            }
        }
        var matched = String(String.UnicodeScalarView(chars[start..<index]))
        if matched.hasPrefix("+") { matched.removeFirst() }
        if !isReal, let integer = Int64(matched) { return .integer(integer) }
        if matched.hasSuffix(".") { matched += "0" }
        if matched.hasPrefix(".") || matched.hasPrefix("-.") { matched = matched.replacingFirstDot() }
        return .real(Double(matched) ?? 0)
    }

    /// `^\s*[+-]?\d+` as PowerSync's `parseBigInt`; 0 when nothing matches (saturating at 64 bits).
    private static func parseIntegerPrefix(_ text: String) -> Int64 {
        let chars = Array(text.unicodeScalars)
        var index = 0
        while index < chars.count, chars[index].properties.isWhitespace { index += 1 }
        var negative = false
        if index < chars.count, chars[index] == "+" || chars[index] == "-" {
            negative = chars[index] == "-"
            index += 1
        }
        var result: Int64 = 0
        var sawDigit = false
        while index < chars.count, isDigit(chars[index]) {
            sawDigit = true
            let digit = Int64(chars[index].value - 48)
            let (multiplied, overflow1) = result.multipliedReportingOverflow(by: 10)
            let (added, overflow2) = multiplied.addingReportingOverflow(negative ? -digit : digit)
            if overflow1 || overflow2 { return negative ? Int64.min : Int64.max }
            result = added
            index += 1
        }
        return sawDigit ? result : 0
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value >= 48 && scalar.value <= 57
    }
}

extension String {
    /// `.5` → `0.5`, `-.5` → `-0.5`, so that `Double(_:)` accepts it.
    fileprivate func replacingFirstDot() -> String {
        if hasPrefix("-.") { return "-0." + dropFirst(2) }
        return "0" + self
    }
}
