/// An instant with microsecond precision (Postgres' `timestamptz`), read from the ISO 8601 forms devices write and
/// written in the form sync rules' edition 1 gives timestamps (`YYYY-MM-DD HH:MM:SS[.f]Z`).
public struct UTCTimestamp: Hashable, Sendable, Comparable {
    /// Microseconds since 1970-01-01 00:00:00 UTC.
    public let microseconds: Int64

    /// The instant `microseconds` after (or before) the Unix epoch.
    public init(microseconds: Int64) {
        self.microseconds = microseconds
    }

    public static func < (lhs: UTCTimestamp, rhs: UTCTimestamp) -> Bool { lhs.microseconds < rhs.microseconds }

    /// Parses `2024-05-01T12:00:00Z` and its variants: fractions of up to nine digits (rounded to microseconds), a
    /// space instead of `T` (SQLite's `datetime()`), offsets `Z`, `±HH`, `±HHMM` or `±HH:MM`, a bare date (midnight),
    /// no zone meaning UTC. Nil for anything else, including dates that do not exist (`2026-02-30`), hours past 23
    /// and seconds past 59.
    public static func parseISO8601(_ text: String) -> UTCTimestamp? {
        var bytes = Array(text.utf8)[...]
        while let first = bytes.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { bytes.removeFirst() }
        while let last = bytes.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { bytes.removeLast() }
        var scanner = DigitScanner(Array(bytes))
        guard let year = scanner.digits(exactly: 4), scanner.skip("-"),
            let month = scanner.digits(exactly: 2), scanner.skip("-"),
            let day = scanner.digits(exactly: 2),
            (1...12).contains(month), (1...CivilDate.daysInMonth(year: year, month: month)).contains(day)
        else { return nil }
        var secondOfDay = 0
        var nanoseconds = 0
        var offsetSeconds = 0
        if scanner.skip("T") || scanner.skip("t") || scanner.skip(" ") {
            guard let hour = scanner.digits(exactly: 2), scanner.skip(":"),
                let minute = scanner.digits(exactly: 2), hour < 24, minute < 60
            else { return nil }
            var second = 0
            if scanner.skip(":") {
                guard let value = scanner.digits(exactly: 2), value < 60 else { return nil }
                second = value
                if scanner.skip(".") || scanner.skip(",") {
                    guard let (value, count) = scanner.digits(atMost: 9) else { return nil }
                    nanoseconds = value * pow10(9 - count)
                }
            }
            secondOfDay = hour * 3600 + minute * 60 + second
            if scanner.skip("Z") || scanner.skip("z") {
            } else if let sign = scanner.sign() {
                guard let hours = scanner.digits(exactly: 2), hours <= 15 else { return nil }
                var minutes = 0
                if scanner.skip(":") {
                    guard let value = scanner.digits(exactly: 2) else { return nil }
                    minutes = value
                } else if let value = scanner.digits(exactly: 2) {
                    minutes = value
                }
                guard minutes < 60 else { return nil }
                offsetSeconds = sign * (hours * 3600 + minutes * 60)
            }
        }
        guard scanner.atEnd else { return nil }
        let seconds = CivilDate.days(year: year, month: month, day: day) * 86_400 + secondOfDay - offsetSeconds
        return UTCTimestamp(microseconds: Int64(seconds) * 1_000_000 + Int64((nanoseconds + 500) / 1000))
    }

    /// `YYYY-MM-DD HH:MM:SS[.f]Z` in UTC, the fraction without trailing zeros (as Postgres prints it and the sync
    /// service sends it); nil outside years 0000–9999.
    public var legacyText: String? {
        let seconds = CivilDate.floorDivide(Int(microseconds), 1_000_000)
        let micros = Int(microseconds) - seconds * 1_000_000
        let days = CivilDate.floorDivide(seconds, 86_400)
        let secondOfDay = seconds - days * 86_400
        let date = CivilDate.date(days: days)
        guard (0...9999).contains(date.year) else { return nil }
        var text =
            Self.pad(date.year, 4) + "-" + Self.pad(date.month, 2) + "-" + Self.pad(date.day, 2) + " "
            + Self.pad(secondOfDay / 3600, 2) + ":" + Self.pad(secondOfDay / 60 % 60, 2) + ":"
            + Self.pad(secondOfDay % 60, 2)
        if micros > 0 {
            var fraction = Self.pad(micros, 6)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        return text + "Z"
    }

    private static func pow10(_ exponent: Int) -> Int {
        var value = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    private static func pad(_ value: Int, _ width: Int) -> String { CivilDate.zeroPadded(value, width) }
}

/// Reads ASCII digits and punctuation from UTF-8 bytes (the timestamp parsers).
public struct DigitScanner: Sendable {
    /// The text.
    public let bytes: [UInt8]
    /// The next byte to read.
    public var index = 0

    /// A scanner at the start of `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The next byte, nil at the end.
    public var peek: UInt8? { index < bytes.count ? bytes[index] : nil }
    /// True when every byte was read.
    public var atEnd: Bool { index == bytes.count }

    /// Reads `character` if it is next.
    public mutating func skip(_ character: Unicode.Scalar) -> Bool {
        guard peek == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }

    /// +1 or -1 for a sign character (read), else nil.
    public mutating func sign() -> Int? {
        if skip("+") { return 1 }
        if skip("-") { return -1 }
        return nil
    }

    /// Exactly `count` digits, or nil.
    public mutating func digits(exactly count: Int) -> Int? {
        number(minDigits: count, maxDigits: count)
    }

    /// Between one and `limit` digits: their value and how many were read.
    public mutating func digits(atMost limit: Int) -> (Int, Int)? {
        let start = index
        guard let value = number(minDigits: 1, maxDigits: limit) else { return nil }
        return (value, index - start)
    }

    /// The value of `minDigits`…`maxDigits` digits, nil when fewer are there (the digits read stay read).
    public mutating func number(minDigits: Int, maxDigits: Int) -> Int? {
        var value = 0
        var count = 0
        while count < maxDigits, let byte = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            count += 1
            index += 1
        }
        return count >= minDigits ? value : nil
    }
}
