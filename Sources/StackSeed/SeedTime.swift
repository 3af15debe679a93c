/// Fixed timestamps for generated rows, so every run writes the same values.
enum SeedTime {
    /// 2025-01-06T09:00:00Z, the moment the sample data "starts".
    static let base = 1_736_154_000

    /// `seconds` since the Unix epoch as ISO 8601 UTC with milliseconds (what devices write).
    static func iso(_ seconds: Int) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
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
