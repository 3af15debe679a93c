import StackCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A JWT whose signature, lifetime and audience checked out (PROTOCOL §4.1–§4.2).
public struct VerifiedToken: Sendable {
    /// `sub` as text: strings as they are, numbers as their decimal text.
    public var userID: String
    /// The whole verified payload object (`request.jwt()`, `parameters`).
    public var payload: StackCore.JSONValue
    /// `iat`.
    public var issuedAt: Date
    /// `exp`.
    public var expiresAt: Date

    /// Creates a verified token.
    public init(userID: String, payload: StackCore.JSONValue, issuedAt: Date, expiresAt: Date) {
        self.userID = userID
        self.payload = payload
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }
}
