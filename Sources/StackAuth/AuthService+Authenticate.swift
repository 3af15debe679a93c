#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The entry point other features (the upload API) use to know who is calling.
extension AuthService {
    /// The caller of a request with these `Authorization` and `Cookie` headers.
    ///
    /// Accepts `Bearer <JWT>` (RS256, a key of the jwks table, `iss`/`aud` = the base URL origin, unexpired),
    /// `Bearer <session token>` (signed or raw, as the bearer plugin) or the session cookie.
    /// Throws `AuthError` with status 401 when none of them is valid; database failures are rethrown as they are.
    public func authenticate(authorization: String?, cookie cookieHeader: String?, now: Date = Date()) async throws
        -> AuthenticatedUser
    {
        if let jwt = Self.bearerJWT(authorization) {
            let claims = try await verifyJWT(jwt, now: now)
            return AuthenticatedUser(
                id: claims.sub, credential: .jwt, expiresAt: Date(timeIntervalSince1970: TimeInterval(claims.exp)))
        }
        let token = cookie.sessionToken(cookieHeader: cookieHeader, authorization: authorization)
        guard let found = try await validSession(token: token, now: now) else { throw AuthError.unauthorized }
        return AuthenticatedUser(
            id: found.user.id, credential: .session(id: found.session.id), expiresAt: found.session.expiresAt)
    }

    /// Verifies a JWT against the jwks table; an unknown `kid` (a key rotated in elsewhere) reloads the keys once.
    public func verifyJWT(_ token: String, now: Date = Date()) async throws -> AccessTokenClaims {
        do {
            return try await keys.issuer(now: now).verify(token, now: now)
        } catch let error as AuthError where error.stackCode == AuthError.invalidToken("").stackCode {
            return try await keys.reloadIfStale(now: now).verify(token, now: now)
        }
    }

    /// The token of `Bearer <token>` when it has the three parts of a JWS compact serialisation.
    static func bearerJWT(_ authorization: String?) -> String? {
        guard let authorization, authorization.utf8.count > 7, authorization.prefix(7).lowercased() == "bearer "
        else { return nil }
        let token = authorization.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return token.split(separator: ".", omittingEmptySubsequences: false).count == 3 ? token : nil
    }
}
