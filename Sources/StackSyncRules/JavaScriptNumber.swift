/// Formats doubles exactly as JavaScript's `Number.prototype.toString()` does, which PowerSync uses for bucket
/// names, `CAST(x AS TEXT)` and JSON output.
enum JavaScriptNumber {
    /// The JavaScript rendering of `value`, e.g. `314`, `3.14`, `1e+21`, `1e-7`.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        if value == 0 { return "0" }
        let sign = value < 0 ? "-" : ""
        // Swift's description is the shortest round-trip representation; only its layout differs from JavaScript.
        let (digits, pointPosition) = decompose(abs(value).description)
        return sign + layout(digits: digits, n: pointPosition)
    }

    /// Splits a Swift double description into significant digits and the decimal point position `n`
    /// (value = 0.digits × 10^n).
    private static func decompose(_ text: String) -> (digits: [Character], n: Int) {
        let parts = text.lowercased().split(separator: "e", maxSplits: 1)
        let mantissa = parts[0]
        let exponent = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let pieces = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let integerPart = Array(pieces[0])
        let fractionPart = pieces.count > 1 ? Array(pieces[1]) : []
        var digits = integerPart + fractionPart
        var n = integerPart.count + exponent
        while let first = digits.first, first == "0", digits.count > 1 {
            digits.removeFirst()
            n -= 1
        }
        while let last = digits.last, last == "0", digits.count > 1 {
            digits.removeLast()
        }
        return (digits, n)
    }

    /// ECMAScript Number::toString layout rules.
    private static func layout(digits: [Character], n: Int) -> String {
        let k = digits.count
        if k <= n && n <= 21 {
            return String(digits) + String(repeating: "0", count: n - k)
        }
        if 0 < n && n <= 21 {
            return String(digits[0..<n]) + "." + String(digits[n...])
        }
        if -6 < n && n <= 0 {
            return "0." + String(repeating: "0", count: -n) + String(digits)
        }
        let exponent = n - 1
        let exponentText = (exponent >= 0 ? "+" : "-") + String(abs(exponent))
        if k == 1 {
            return String(digits) + "e" + exponentText
        }
        return String(digits[0]) + "." + String(digits[1...]) + "e" + exponentText
    }
}
