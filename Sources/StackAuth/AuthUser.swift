#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A row of BetterAuth's `"user"` table: the fields the session and the JWT carry.
public struct AuthUser: Sendable, Equatable {
    /// `id` (32 alphanumeric characters for users stack creates).
    public var id: String
    /// `name`.
    public var name: String
    /// `email`, lower-cased.
    public var email: String
    /// `emailVerified`.
    public var emailVerified: Bool
    /// `image`, usually nil.
    public var image: String?
    /// `createdAt`.
    public var createdAt: Date
    /// `updatedAt`.
    public var updatedAt: Date

    /// A user with every field given.
    public init(
        id: String, name: String, email: String, emailVerified: Bool = false, image: String? = nil,
        createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.name = name
        self.email = email
        self.emailVerified = emailVerified
        self.image = image
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Dates as JavaScript's `JSON.stringify(new Date())` writes them: `2024-05-01T12:00:00.000Z`.
public enum JavaScriptDate {
    /// ISO 8601 in UTC with milliseconds, truncated like a JavaScript `Date` built from a Postgres timestamp.
    public static func string(_ date: Date) -> String {
        // Whole milliseconds first: 0.123 s is 0.12299999… as a Double and must not print as .122.
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000 + 0.001).rounded(.down))
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let fraction = Int(milliseconds - seconds * 1000)
        let base = Date(timeIntervalSince1970: Double(seconds)).formatted(Date.ISO8601FormatStyle())
        let padded = String(repeating: "0", count: 3 - String(fraction).count) + String(fraction)
        return String(base.dropLast()) + "." + padded + "Z"
    }

    /// Parses `string(_:)` output, with or without milliseconds, to the exact millisecond.
    public static func date(_ text: String) -> Date? {
        guard text.hasSuffix("Z") else { return nil }
        let body = text.dropLast()
        let (whole, fraction) =
            if let dot = body.lastIndex(of: ".") {
                (body[..<dot], body[body.index(after: dot)...])
            } else {
                (body, Substring("0"))
            }
        let milliseconds = String(fraction.prefix(3)) + String(repeating: "0", count: max(0, 3 - fraction.count))
        guard let seconds = try? Date.ISO8601FormatStyle().parse(whole + "Z"),
            fraction.allSatisfy({ $0.isASCII && $0.isNumber }), let digits = Int(milliseconds)
        else { return nil }
        // Integer milliseconds divided once give the same Double as the literal seconds value.
        return Date(timeIntervalSince1970: Double(Int64(seconds.timeIntervalSince1970) * 1000 + Int64(digits)) / 1000)
    }
}
