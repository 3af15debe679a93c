import StackCore

/// `unixepoch()` and `datetime()` as PowerSync implements them (JavaScript `Date` based, UTC only).
enum DateFunctions {
    /// Modifier flags accepted after the time value: `'unixepoch'` and/or `'subsec'`.
    private struct Flags {
        var unixepoch = false
        var subsecond = false
    }

    private static func flags(_ modifiers: [SQLiteValue]) -> Flags? {
        var flags = Flags()
        guard let first = modifiers.first, !first.isNull else { return flags }
        let second = modifiers.count > 1 ? modifiers[1] : .null
        switch first {
        case .text("unixepoch"):
            flags.unixepoch = true
            switch second {
            case .null: break
            case .text("subsec"), .text("subsecond"): flags.subsecond = true
            default: return nil
            }
        case .text("subsec"), .text("subsecond"): flags.subsecond = true
        default: return nil
        }
        return flags
    }

    /// `unixepoch(value [, modifiers])`: seconds since 1970 (integer, or real with 'subsec').
    static func unixepoch(_ args: [SQLiteValue]) -> SQLiteValue {
        guard let value = args.first, !value.isNull, let flags = flags(Array(args.dropFirst())),
            let milliseconds = epochMilliseconds(value, unixepoch: flags.unixepoch)
        else { return .null }
        if flags.subsecond { return .real(milliseconds / 1000) }
        return .integer(Int64((milliseconds / 1000).rounded(.down)))
    }

    /// `datetime(value [, modifiers])`: `YYYY-MM-DD HH:MM:SS` (with `.SSS` when 'subsec').
    static func datetime(_ args: [SQLiteValue]) -> SQLiteValue {
        guard let value = args.first, !value.isNull, let flags = flags(Array(args.dropFirst())),
            let milliseconds = epochMilliseconds(value, unixepoch: flags.unixepoch)
        else { return .null }
        return format(milliseconds: milliseconds, subsecond: flags.subsecond).map(SQLiteValue.text) ?? .null
    }

    /// Milliseconds since the epoch, from ISO text, a Julian day number, or unix seconds with `unixepoch`.
    static func epochMilliseconds(_ value: SQLiteValue, unixepoch: Bool) -> Double? {
        let result: Double?
        switch value {
        case .integer(let number): result = unixepoch ? Double(number) * 1000 : julianToMilliseconds(Double(number))
        case .real(let number): result = unixepoch ? number * 1000 : julianToMilliseconds(number)
        case .text(let text): result = parseText(text)
        default: result = nil
        }
        // JavaScript Date is limited to ±8.64e15 ms; beyond that it is an invalid date.
        guard let result, result.isFinite, abs(result) <= 8.64e15 else { return nil }
        return result.rounded(.towardZero)
    }

    private static func julianToMilliseconds(_ day: Double) -> Double {
        (day - 2440587.5) * 86_400_000
    }

    private static func parseText(_ text: String) -> Double? {
        let isJulian =
            !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") }
            && text.first != "." && text.filter({ $0 == "." }).count <= 1
        if isJulian, let day = Double(text) { return julianToMilliseconds(day) }
        return parseISO(Array(text.utf8))
    }

    /// Parses `YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]][Z|±HH:MM]`, UTC when no zone is given.
    private static func parseISO(_ bytes: [UInt8]) -> Double? {
        var index = 0
        func number(_ digits: Int) -> Int? {
            guard index + digits <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<index + digits] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            index += digits
            return value
        }
        func expect(_ char: Character) -> Bool {
            guard index < bytes.count, bytes[index] == char.asciiValue! else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var hour = 0, minute = 0, second = 0
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: "T") || bytes[index] == UInt8(ascii: " ") {
            index += 1
            guard let h = number(2), expect(":"), let m = number(2), h < 25, m < 60 else { return nil }
            hour = h
            minute = m
            if expect(":") {
                guard let s = number(2), s < 60 else { return nil }
                second = s
                if expect(".") {
                    var scale = 0.1
                    let start = index
                    while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                        fraction += Double(bytes[index] - 48) * scale
                        scale /= 10
                        index += 1
                    }
                    if index == start { return nil }
                }
            }
        }
        var offsetMinutes = 0
        if index < bytes.count {
            if bytes[index] == UInt8(ascii: "Z") || bytes[index] == UInt8(ascii: "z") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
                index += 1
                guard let h = number(2), expect(":"), let m = number(2) else { return nil }
                offsetMinutes = sign * (h * 60 + m)
            }
        }
        guard index == bytes.count else { return nil }
        let days = CivilDate.days(year: year, month: month, day: day)
        let seconds = Double(days) * 86_400 + Double(hour * 3600 + minute * 60 + second - offsetMinutes * 60)
        return (seconds + fraction) * 1000
    }

    private static func format(milliseconds: Double, subsecond: Bool) -> String? {
        let total = Int64(milliseconds)
        var days = total / 86_400_000
        var rest = total % 86_400_000
        if rest < 0 {
            rest += 86_400_000
            days -= 1
        }
        let date = CivilDate.date(days: Int(days))
        guard date.year >= 0, date.year <= 9999 else { return nil }
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let hours = Int(rest / 3_600_000), minutes = Int(rest / 60_000 % 60), seconds = Int(rest / 1000 % 60)
        var text =
            "\(pad(date.year, 4))-\(pad(date.month, 2))-\(pad(date.day, 2)) "
            + "\(pad(hours, 2)):\(pad(minutes, 2)):\(pad(seconds, 2))"
        if subsecond { text += "." + pad(Int(rest % 1000), 3) }
        return text
    }
}
