import Foundation
import StackCore

/// The verified identity of a sync connection.
public struct SyncUser: Sendable, Equatable {
    /// The JWT `sub`.
    public var userID: String
    /// The verified payload (`request.jwt()`, `token_parameters`).
    public var payload: JSONValue
    /// When the token expires; the stream ends then.
    public var expiresAt: Date

    /// Creates an identity.
    public init(userID: String, payload: JSONValue, expiresAt: Date) {
        self.userID = userID
        self.payload = payload
        self.expiresAt = expiresAt
    }
}

/// Verifies the `Authorization` header of a sync request.
public protocol SyncAuthenticator: Sendable {
    /// The user of `Token <jwt>` / `Bearer <jwt>`; throws a 401 `PSYNC_S21xx` error otherwise.
    func authenticate(authorization: String?) async throws(SyncServiceError) -> SyncUser
}
