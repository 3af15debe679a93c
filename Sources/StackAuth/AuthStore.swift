import Logging
import PostgresNIO
import StackPostgres

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// BetterAuth's tables in Postgres: users, credential accounts, sessions and signing keys. Every value is bound.
public struct AuthStore: Sendable {
    /// The pool every query runs on.
    public let client: PostgresClient
    let logger: Logger

    /// A store on `client`.
    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The user with `email` (already lower-cased) and the password hash of its credential account, if any.
    public func findUser(email: String) async throws -> (user: AuthUser, passwordHash: String?)? {
        let rows = try await client.queryIfOpen(
            """
            SELECT u."id", u."name", u."email", u."emailVerified", u."image", u."createdAt", u."updatedAt", a."password"
            FROM "user" u
            LEFT JOIN "account" a ON a."userId" = u."id" AND a."providerId" = 'credential' AND a."accountId" = u."id"
              AND (a."issuer" IS NULL OR a."issuer" = \(AuthMigrations.credentialIssuer))
            WHERE u."email" = \(email)
            ORDER BY a."createdAt" NULLS LAST LIMIT 1
            """, logger: logger)
        for try await (id, name, email, verified, image, createdAt, updatedAt, password) in rows.decode(
            (String, String, String, Bool, String?, Date, Date, String?).self)
        {
            let user = AuthUser(
                id: id, name: name, email: email, emailVerified: verified, image: image, createdAt: createdAt,
                updatedAt: updatedAt)
            return (user, password)
        }
        return nil
    }

    /// Creates a user, its `credential` account and its first session in one transaction (BetterAuth sign-up).
    /// Throws `AuthError.userAlreadyExists` when the email is taken, even by a concurrent sign-up.
    public func createUser(_ user: AuthUser, passwordHash: String, session: AuthSession) async throws {
        do {
            try await client.transaction(logger: logger) { connection in
                try await connection.queryIfOpen(
                    """
                    INSERT INTO "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt")
                    VALUES (\(user.id), \(user.name), \(user.email), \(user.emailVerified), \(user.image),
                            \(user.createdAt), \(user.updatedAt))
                    """, logger: logger)
                let accountID = AuthIdentifier.generate()
                try await connection.queryIfOpen(
                    """
                    INSERT INTO "account" ("id", "issuer", "accountId", "providerId", "userId", "password", "createdAt",
                                           "updatedAt")
                    VALUES (\(accountID), \(AuthMigrations.credentialIssuer), \(user.id), 'credential', \(user.id),
                            \(passwordHash), \(user.createdAt), \(user.updatedAt))
                    """, logger: logger)
                try await insert(session, on: connection)
            }
        } catch  where PostgresErrorText.sqlState(error) == "23505" {
            throw AuthError.userAlreadyExists
        }
    }

    /// Stores a new session.
    public func createSession(_ session: AuthSession) async throws {
        try await client.withConnection { connection in try await insert(session, on: connection) }
    }

    private func insert(_ session: AuthSession, on connection: PostgresConnection) async throws {
        try await connection.queryIfOpen(
            """
            INSERT INTO "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId")
            VALUES (\(session.id), \(session.expiresAt), \(session.token), \(session.createdAt), \(session.updatedAt),
                    \(session.ipAddress), \(session.userAgent), \(session.userID))
            """, logger: logger)
    }

    /// The session with `token` and its user, expired or not.
    public func findSession(token: String) async throws -> (session: AuthSession, user: AuthUser)? {
        let rows = try await client.queryIfOpen(
            """
            SELECT s."id", s."expiresAt", s."createdAt", s."updatedAt", s."ipAddress", s."userAgent",
                   u."id", u."name", u."email", u."emailVerified", u."image", u."createdAt", u."updatedAt"
            FROM "session" s JOIN "user" u ON u."id" = s."userId"
            WHERE s."token" = \(token)
            """, logger: logger)
        for try await row in rows {
            let (
                id, expiresAt, createdAt, updatedAt, ip, agent, userID, name, email, verified, image, userCreated,
                userUpdated
            ) = try row.decode(
                (String, Date, Date, Date, String?, String?, String, String, String, Bool, String?, Date, Date).self)
            let session = AuthSession(
                id: id, token: token, userID: userID, expiresAt: expiresAt, createdAt: createdAt, updatedAt: updatedAt,
                ipAddress: ip, userAgent: agent)
            let user = AuthUser(
                id: userID, name: name, email: email, emailVerified: verified, image: image, createdAt: userCreated,
                updatedAt: userUpdated)
            return (session, user)
        }
        return nil
    }

    /// Deletes the session with `token` (sign-out, expiry).
    public func deleteSession(token: String) async throws {
        try await client.queryIfOpen(#"DELETE FROM "session" WHERE "token" = \#(token)"#, logger: logger)
    }

    /// Moves a session's expiry (sliding refresh); false when it no longer exists.
    public func refreshSession(token: String, expiresAt: Date, updatedAt: Date) async throws -> Bool {
        let rows = try await client.queryIfOpen(
            """
            UPDATE "session" SET "expiresAt" = \(expiresAt), "updatedAt" = \(updatedAt)
            WHERE "token" = \(token) RETURNING 1
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }
}
