import StackCore

/// The JWT verifier is how the sync endpoint authenticates.
extension SyncTokenVerifier: SyncAuthenticator {
    public func authenticate(authorization: String?) async throws(SyncServiceError) -> SyncUser {
        let token = try await verify(authorization: authorization)
        return SyncUser(userID: token.userID, payload: token.payload, expiresAt: token.expiresAt)
    }
}
