#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A row of BetterAuth's `session` table.
public struct AuthSession: Sendable, Equatable {
    /// `id`.
    public var id: String
    /// `token`: the bearer value (the cookie carries it signed).
    public var token: String
    /// `userId`.
    public var userID: String
    /// `expiresAt`.
    public var expiresAt: Date
    /// `createdAt`.
    public var createdAt: Date
    /// `updatedAt`.
    public var updatedAt: Date
    /// `ipAddress` of the request that created it.
    public var ipAddress: String?
    /// `userAgent` of the request that created it.
    public var userAgent: String?

    /// A session with every column given.
    public init(
        id: String, token: String, userID: String, expiresAt: Date, createdAt: Date, updatedAt: Date,
        ipAddress: String?, userAgent: String?
    ) {
        self.id = id
        self.token = token
        self.userID = userID
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.ipAddress = ipAddress
        self.userAgent = userAgent
    }
}

/// The session as BetterAuth's JSON shows it (`GET /get-session`).
extension AuthSession: Encodable {
    enum CodingKeys: String, CodingKey {
        case id, token, userId, expiresAt, createdAt, updatedAt, ipAddress, userAgent
    }

    /// Encodes BetterAuth's shape: JavaScript date strings, `null` for absent strings.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(expiresAt.javaScriptString, forKey: .expiresAt)
        try container.encode(token, forKey: .token)
        try container.encode(createdAt.javaScriptString, forKey: .createdAt)
        try container.encode(updatedAt.javaScriptString, forKey: .updatedAt)
        try container.encode(ipAddress, forKey: .ipAddress)
        try container.encode(userAgent, forKey: .userAgent)
        try container.encode(userID, forKey: .userId)
        try container.encode(id, forKey: .id)
    }
}

extension Date {
    /// `JavaScriptDate.string(self)`.
    var javaScriptString: String { JavaScriptDate.string(self) }

    /// This date cut to whole milliseconds, the precision of a JavaScript `Date` (so rows round-trip exactly).
    var wholeMilliseconds: Date {
        Date(timeIntervalSince1970: (timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }
}
