#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Who made a request, as `AuthService.authenticate` established it.
public struct AuthenticatedUser: Sendable, Equatable {
    /// How the caller proved who they are.
    public enum Credential: Sendable, Equatable {
        /// An RS256 JWT from `GET /api/auth/token` (`sub` is the user id).
        case jwt
        /// A session token, from the bearer header or the session cookie.
        case session(id: String)
    }

    /// The user id (`"user".id`, the JWT `sub`): what `owner_id` is set to.
    public let id: String
    /// How the caller authenticated.
    public let credential: Credential
    /// When the credential stops being valid.
    public let expiresAt: Date

    /// A caller.
    public init(id: String, credential: Credential, expiresAt: Date) {
        self.id = id
        self.credential = credential
        self.expiresAt = expiresAt
    }
}
