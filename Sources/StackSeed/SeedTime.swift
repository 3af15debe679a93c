import StackCore

/// Fixed timestamps for generated rows, so every run writes the same values.
enum SeedTime {
    /// 2025-01-06T09:00:00Z, the moment the sample data "starts".
    static let base = 1_736_154_000

    /// `seconds` since the Unix epoch as ISO 8601 UTC with milliseconds (what devices write).
    static func iso(_ seconds: Int) -> String {
        let days = CivilDate.floorDivide(seconds, 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = CivilDate.date(days: days)
        var text = [UInt8]()
        text.reserveCapacity(24)
        append(year, width: 4, to: &text, then: "-")
        append(month, width: 2, to: &text, then: "-")
        append(day, width: 2, to: &text, then: "T")
        append(secondOfDay / 3600, width: 2, to: &text, then: ":")
        append(secondOfDay / 60 % 60, width: 2, to: &text, then: ":")
        append(secondOfDay % 60, width: 2, to: &text, then: ".")
        text += Array("000Z".utf8)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends `value` zero-padded to `width` digits (years past 9999 keep all digits), then `separator`.
    private static func append(_ value: Int, width: Int, to text: inout [UInt8], then separator: Unicode.Scalar) {
        var digits: [UInt8] = []
        var rest = value
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        while digits.count < width { digits.append(UInt8(ascii: "0")) }
        text += digits.reversed()
        text.append(UInt8(ascii: separator))
    }
}
