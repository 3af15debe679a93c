import StackCore

/// Converts `timestamptz` text (DateStyle ISO) to PowerSync's legacy UTC form `YYYY-MM-DD HH:MM:SS[.frac]Z`.
enum PGTimestamp {
    /// `2023-03-06 15:47:00.25+02` → `2023-03-06 13:47:00.25Z`; the fraction keeps the source precision.
    /// Returns nil for text that is not an ISO timestamptz or lands outside years 0000–9999 (PowerSync syncs null).
    static func legacyUTC(_ text: String) -> String? {
        switch text {
        case "infinity": return "9999-12-31 23:59:59Z"
        case "-infinity": return "0000-01-01 00:00:00Z"
        default: break
        }
        var scanner = DigitScanner(Array(text.utf8))
        guard let year = scanner.number(minDigits: 4, maxDigits: 6), scanner.skip("-"),
            let month = scanner.number(minDigits: 2, maxDigits: 2), scanner.skip("-"),
            let day = scanner.number(minDigits: 2, maxDigits: 2), scanner.skip(" "),
            let hour = scanner.number(minDigits: 2, maxDigits: 2), scanner.skip(":"),
            let minute = scanner.number(minDigits: 2, maxDigits: 2), scanner.skip(":"),
            let second = scanner.number(minDigits: 2, maxDigits: 2)
        else { return nil }
        var fraction = ""
        if scanner.peek == UInt8(ascii: ".") {
            let start = scanner.index
            scanner.index += 1
            guard scanner.number(minDigits: 1, maxDigits: 9) != nil else { return nil }
            fraction = String(decoding: scanner.bytes[start..<scanner.index], as: UTF8.self)
        }
        guard let sign = scanner.peek, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { return nil }
        let offsetStart = scanner.index
        scanner.index += 1
        guard let offsetHours = scanner.number(minDigits: 2, maxDigits: 2) else { return nil }
        var offsetSeconds = offsetHours * 3600
        if scanner.skip(":") {
            guard let offsetMinutes = scanner.number(minDigits: 2, maxDigits: 2) else { return nil }
            offsetSeconds += offsetMinutes * 60
            if scanner.skip(":") {
                guard let extra = scanner.number(minDigits: 2, maxDigits: 2) else { return nil }
                offsetSeconds += extra
            }
        }
        // " BC" and anything else after the offset is outside what PowerSync converts.
        guard scanner.atEnd, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        if offsetSeconds == 0 {
            // Already UTC (a server or session in UTC: the usual case): the text before the offset is the answer.
            guard year <= 9999 else { return nil }
            return String(decoding: scanner.bytes[..<offsetStart], as: UTF8.self) + "Z"
        }
        if sign == UInt8(ascii: "+") { offsetSeconds = -offsetSeconds }
        let local = CivilDate.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        let utc = local + offsetSeconds
        let days = CivilDate.floorDivide(utc, 86_400)
        let secondsOfDay = utc - days * 86_400
        let date = CivilDate.date(days: days)
        guard (0...9999).contains(date.year) else { return nil }
        return pad(date.year, 4) + "-" + pad(date.month, 2) + "-" + pad(date.day, 2) + " "
            + pad(secondsOfDay / 3600, 2) + ":" + pad(secondsOfDay / 60 % 60, 2) + ":" + pad(secondsOfDay % 60, 2)
            + fraction + "Z"
    }

    private static func pad(_ value: Int, _ width: Int) -> String { CivilDate.zeroPadded(value, width) }
}
