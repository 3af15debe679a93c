import Logging
import PostgresNIO
import StackPostgres

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The BetterAuth-compatible auth server's logic (email/password, sessions, JWT, JWKS), independent of HTTP.
public final class AuthService: Sendable {
    /// The checked configuration.
    public let configuration: AuthConfiguration
    /// The tables.
    public let store: AuthStore
    /// Signing keys.
    public let keys: KeyRing
    /// The session cookie (and bearer) codec.
    public let cookie: SessionCookie
    /// The sign-in / sign-up limiter.
    public let limiter: RateLimiter
    /// The password hasher; its `verifications` count shows an unknown email costs a scrypt like a wrong password.
    public let hasher: PasswordHasher
    /// Whether Postgres can be reached: requests fail fast with 503 while it cannot.
    public let availability: DatabaseAvailability
    let logger: Logger

    /// A service over `client` (which must be running); `availability` guards every database-backed request.
    public init(
        configuration: AuthConfiguration, client: PostgresClient,
        availability: DatabaseAvailability = .alwaysAvailable, logger: Logger
    ) throws {
        self.configuration = configuration
        self.availability = availability
        store = AuthStore(client: client, logger: logger)
        keys = KeyRing(
            store: store, encryption: try KeyEncryption(secret: configuration.secret), origin: configuration.origin,
            lifetime: configuration.jwtLifetime, gracePeriod: configuration.gracePeriod,
            refreshInterval: configuration.keyRefreshInterval, availability: availability, logger: logger)
        cookie = SessionCookie(
            secret: configuration.secret, origin: configuration.origin,
            maxAge: configuration.sessionPolicy.expiresIn)
        limiter = RateLimiter()
        hasher = PasswordHasher()
        self.logger = logger
    }

    /// Where a request came from, stored on the sessions it creates.
    public struct Client: Sendable {
        /// Peer IP address.
        public var ipAddress: String?
        /// `User-Agent` header.
        public var userAgent: String?

        /// A client description.
        public init(ipAddress: String?, userAgent: String?) {
            self.ipAddress = ipAddress
            self.userAgent = userAgent
        }
    }

    /// `POST /sign-up/email`: a new user, its credential account and a session.
    public func signUp(
        name: String, email rawEmail: String, password: String, image: String?, rememberMe: Bool, client: Client
    ) async throws -> (session: AuthSession, user: AuthUser) {
        let email = try EmailAddress(rawEmail)
        try configuration.passwordPolicy.check(password)
        if try await store.findUser(email: email.normalized) != nil {
            throw AuthError.userAlreadyExists
        }
        let hash = try await hasher.hash(password)
        let now = Date().wholeMilliseconds
        let user = AuthUser(
            id: AuthIdentifier.generate(), name: name, email: email.normalized, emailVerified: false, image: image,
            createdAt: now, updatedAt: now)
        let session = newSession(userID: user.id, now: now, rememberMe: rememberMe, client: client)
        try await store.createUser(user, passwordHash: hash, session: session)
        logger.info("user signed up", metadata: ["user.id": "\(user.id)"])
        return (session, user)
    }

    /// `POST /sign-in/email`: a new session for a correct email and password.
    public func signIn(email rawEmail: String, password: String, rememberMe: Bool, client: Client) async throws
        -> (session: AuthSession, user: AuthUser)
    {
        let email = try EmailAddress(rawEmail)
        guard let found = try await store.findUser(email: email.normalized), let hash = found.passwordHash else {
            // Same cost as a real check, so response time does not tell which emails exist.
            await hasher.dummyVerify(password)
            throw AuthError.invalidEmailOrPassword
        }
        guard try await hasher.verify(password, against: hash) else { throw AuthError.invalidEmailOrPassword }
        let session = newSession(
            userID: found.user.id, now: Date().wholeMilliseconds, rememberMe: rememberMe, client: client)
        try await store.createSession(session)
        return (session, found.user)
    }

    /// `POST /sign-out`: deletes the session if there is one.
    public func signOut(token: String?) async throws {
        guard let token else { return }
        try await store.deleteSession(token: token)
    }

    /// The outcome of `GET /get-session`.
    public struct SessionState: Sendable {
        /// The session (after any refresh).
        public var session: AuthSession
        /// Its user.
        public var user: AuthUser
        /// Whether the expiry moved (then the cookie is set again).
        public var refreshed: Bool
    }

    /// `GET /get-session`: nil for no, unknown or expired sessions (expired ones are deleted); otherwise the
    /// session, pushed to `now + expiresIn` when `updateAge` has passed and `allowRefresh` is set.
    public func currentSession(token: String?, allowRefresh: Bool, now: Date = Date()) async throws -> SessionState? {
        guard let token, let found = try await store.findSession(token: token) else { return nil }
        let policy = configuration.sessionPolicy
        if policy.isExpired(expiresAt: found.session.expiresAt, now: now) {
            try await store.deleteSession(token: token)
            return nil
        }
        guard allowRefresh, policy.needsRefresh(expiresAt: found.session.expiresAt, now: now) else {
            return SessionState(session: found.session, user: found.user, refreshed: false)
        }
        var session = found.session
        session.expiresAt = policy.expiresAt(from: now).wholeMilliseconds
        session.updatedAt = now.wholeMilliseconds
        guard try await store.refreshSession(token: token, expiresAt: session.expiresAt, updatedAt: session.updatedAt)
        else { return nil }
        return SessionState(session: session, user: found.user, refreshed: true)
    }

    /// A valid (unexpired) session for `token`, without refreshing it.
    public func validSession(token: String?, now: Date = Date()) async throws -> (session: AuthSession, user: AuthUser)?
    {
        guard let token, let found = try await store.findSession(token: token),
            !configuration.sessionPolicy.isExpired(expiresAt: found.session.expiresAt, now: now)
        else { return nil }
        return found
    }

    /// `GET /token`: an RS256 JWT for `user`.
    public func issueToken(for user: AuthUser, now: Date = Date()) async throws -> String {
        try await keys.issuer(now: now).issue(for: user, now: now)
    }

    /// `GET /jwks`: the published keys (the first key is created here if there is none).
    public func jwksDocument(now: Date = Date()) async throws -> Data {
        try await keys.issuer(now: now).jwksJSON
    }

    /// Startup check: every published key decrypts with the configured secret. Never creates or replaces keys.
    public func validateStoredKeys() async throws -> Int {
        do {
            return try await keys.validateStoredKeys()
        } catch let error as AuthError {
            throw AuthError.startupKeyCheckFailed(error)
        }
    }

    private func newSession(userID: String, now: Date, rememberMe: Bool, client: Client) -> AuthSession {
        AuthSession(
            id: AuthIdentifier.generate(), token: AuthIdentifier.sessionToken(), userID: userID,
            expiresAt: configuration.sessionPolicy.expiresAt(from: now, rememberMe: rememberMe).wholeMilliseconds,
            createdAt: now, updatedAt: now, ipAddress: client.ipAddress, userAgent: client.userAgent)
    }
}
