import Testing

@testable import StackCore

@Suite struct UTCTimestampTests {
    /// `YYYY-MM-DD HH:MM:SS[.f]Z` of a parsed text, or nil when it does not parse.
    static func normalized(_ text: String) -> String? {
        UTCTimestamp.parseISO8601(text)?.legacyText
    }

    @Test(arguments: [
        ("2024-05-01T12:00:00Z", "2024-05-01 12:00:00Z"),
        ("2024-05-01T12:00:00.123Z", "2024-05-01 12:00:00.123Z"),
        ("2024-05-01T12:00:00.120000Z", "2024-05-01 12:00:00.12Z"),
        ("2024-05-01t12:00:00,5z", "2024-05-01 12:00:00.5Z"),
        ("2024-05-01T14:00:00+02:00", "2024-05-01 12:00:00Z"),
        ("2024-05-01T06:30:00-0530", "2024-05-01 12:00:00Z"),
        ("2024-05-01T14:00:00+02", "2024-05-01 12:00:00Z"),
        ("2024-05-01 12:00:00", "2024-05-01 12:00:00Z"),
        ("2024-05-01 12:00", "2024-05-01 12:00:00Z"),
        ("  2024-05-01  ", "2024-05-01 00:00:00Z"),
        ("2024-02-29T00:00:00Z", "2024-02-29 00:00:00Z"),
        ("2000-02-29T00:00:00Z", "2000-02-29 00:00:00Z"),
        ("2024-01-01T00:30:00+01:00", "2023-12-31 23:30:00Z"),
        // Proleptic Gregorian on both sides of 1582, as Postgres and ISO 8601 count.
        ("1492-10-12T00:00:00Z", "1492-10-12 00:00:00Z"),
        ("1582-10-04T00:00:00Z", "1582-10-04 00:00:00Z"),
        ("1000-06-15T12:00:00Z", "1000-06-15 12:00:00Z"),
        ("0001-01-01T00:00:00Z", "0001-01-01 00:00:00Z"),
        ("0000-03-01T00:00:00Z", "0000-03-01 00:00:00Z"),
        // Microseconds kept exactly far from 1970; more digits rounded.
        ("9999-12-31T23:59:59.999999Z", "9999-12-31 23:59:59.999999Z"),
        ("5000-01-01T00:00:00.000001Z", "5000-01-01 00:00:00.000001Z"),
        ("2024-05-01T12:00:00.1234565Z", "2024-05-01 12:00:00.123457Z"),
        ("2024-05-01T23:59:59.9999996Z", "2024-05-02 00:00:00Z"),
    ])
    func parsesAndNormalizes(_ text: String, _ expected: String) {
        #expect(Self.normalized(text) == expected)
    }

    @Test(arguments: [
        "", "yesterday", "2024-5-01", "24-05-01", "20240-05-01", "2024-05-01T", "2024-05-01T12", "2024-05-01T12:00:0",
        "2026-02-30", "2023-02-29", "1900-02-29T00:00:00Z", "2024-04-31T00:00:00Z", "2024-13-01", "2024-00-10",
        "2024-05-00", "2024-05-01T24:00:00Z", "2024-05-01T12:60:00Z", "2024-05-01T12:00:60Z",
        "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00.1234567890Z", "2024-05-01T12:00:00+16:00",
        "2024-05-01T12:00:00+01:60", "2024-05-01T12:00:00+1", "2024-05-01T12:00:00Zjunk", "2024-05-01T12:00:00 BC",
        "2024-05-01Z",
    ])
    func refusesWhatIsNotATimestamp(_ text: String) {
        #expect(UTCTimestamp.parseISO8601(text) == nil, "\(text)")
    }

    @Test func instantsAreCountedFromTheUnixEpoch() {
        #expect(UTCTimestamp.parseISO8601("1970-01-01T00:00:00Z")?.microseconds == 0)
        #expect(UTCTimestamp.parseISO8601("1970-01-01T00:00:01.5Z")?.microseconds == 1_500_000)
        #expect(UTCTimestamp.parseISO8601("1969-12-31T23:59:59.999999Z")?.microseconds == -1)
        #expect(UTCTimestamp.parseISO8601("2000-01-01T00:00:00Z")?.microseconds == 946_684_800_000_000)
        #expect(UTCTimestamp(microseconds: -1).legacyText == "1969-12-31 23:59:59.999999Z")
        #expect(UTCTimestamp(microseconds: 253_402_300_800_000_000).legacyText == nil)  // 10000-01-01
    }

    @Test func civilDatesRoundTripAndFollowEachOther() {
        // The first Gregorian day is Julian day 2,299,161, the Unix epoch Julian day 2,440,588.
        #expect(CivilDate.days(year: 1582, month: 10, day: 15) == 2_299_161 - 2_440_588)
        #expect(CivilDate.days(year: 1970, month: 1, day: 1) == 0)
        var expected = (year: 0, month: 1, day: 1)
        for days in CivilDate.days(year: 0, month: 1, day: 1)...CivilDate.days(year: 2401, month: 1, day: 1) {
            let date = CivilDate.date(days: days)
            #expect(date == expected)
            #expect(CivilDate.days(year: date.year, month: date.month, day: date.day) == days)
            if date.day < CivilDate.daysInMonth(year: date.year, month: date.month) {
                expected.day += 1
            } else if date.month < 12 {
                expected = (date.year, date.month + 1, 1)
            } else {
                expected = (date.year + 1, 1, 1)
            }
        }
    }
}
