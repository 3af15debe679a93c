import Foundation
import PostgresNIO
import StackPostgres
import StackTesting
import Testing

/// Promises of issue 3 that the endpoint suite does not cover: tables BetterAuth created, https cookies, default
/// rate limits on sign-up, the optional image.
@Suite("auth server: BetterAuth tables, https cookies, defaults")
struct AuthCompatibilityTests {
    // BetterAuth 1.7's Postgres schema (`npx auth migrate`: packages/cli/test/__snapshots__/migrations.sql with the
    // Postgres types of db/get-migration.ts): a required account.issuer and its unique (issuer, accountId) index.
    static let betterAuth17Tables = [
        """
        create table "user" ("id" text not null primary key, "name" text not null, "email" text not null unique,
          "emailVerified" boolean not null, "image" text, "createdAt" timestamptz default CURRENT_TIMESTAMP not null,
          "updatedAt" timestamptz default CURRENT_TIMESTAMP not null)
        """,
        """
        create table "session" ("id" text not null primary key, "expiresAt" timestamptz not null,
          "token" text not null unique, "createdAt" timestamptz default CURRENT_TIMESTAMP not null,
          "updatedAt" timestamptz not null, "ipAddress" text, "userAgent" text,
          "userId" text not null references "user" ("id") on delete cascade)
        """,
        """
        create table "account" ("id" text not null primary key, "issuer" text not null, "accountId" text not null,
          "providerId" text not null, "userId" text not null references "user" ("id") on delete cascade,
          "accessToken" text, "refreshToken" text, "idToken" text, "accessTokenExpiresAt" timestamptz,
          "refreshTokenExpiresAt" timestamptz, "scope" text, "password" text,
          "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz not null)
        """,
        """
        create table "verification" ("id" text not null primary key, "identifier" text not null,
          "value" text not null, "expiresAt" timestamptz not null,
          "createdAt" timestamptz default CURRENT_TIMESTAMP not null,
          "updatedAt" timestamptz default CURRENT_TIMESTAMP not null)
        """,
        """
        create table "jwks" ("id" text not null primary key, "publicKey" text not null, "privateKey" text not null,
          "createdAt" timestamptz not null, "expiresAt" timestamptz, "alg" text, "crv" text)
        """,
        #"create unique index "account_issuer_accountId_uidx" on "account" ("issuer", "accountId")"#,
    ]

    static let columnsQuery = """
        SELECT string_agg(table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable, ', '
                          ORDER BY table_name, column_name)
        FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name IN ('user', 'session', 'account', 'verification', 'jwks')
        """

    @Test("tables BetterAuth 1.7 created are used as they are: sign-up writes issuer local:credential, rows sign in")
    func betterAuth17Tables() async throws {
        let database = try await TestPostgres.shared().makeDatabase()
        try await PostgresClient.withClient(database.databaseURL, logger: AuthHarness.logger) { client in
            for statement in Self.betterAuth17Tables {
                try await client.query(PostgresQuery(unsafeSQL: statement), logger: AuthHarness.logger)
            }
        }
        let before = try await scalar(database.databaseURL, Self.columnsQuery)
        let harness = try await AuthHarness.start(database: database)
        #expect(try await scalar(database.databaseURL, Self.columnsQuery) == before, "stack altered BetterAuth's tables")

        let (_, userID) = try await harness.signUp("ba17@example.com", password: "issuer-scoped-1")
        let account = try await harness.sql(
            #"SELECT "issuer", "accountId", "providerId" FROM "account" WHERE "userId" = \#(userID)"#)
        let (issuer, accountID, provider) = try account[0].decode((String, String, String).self)
        #expect(issuer == "local:credential" && accountID == userID && provider == "credential")

        // A user BetterAuth 1.7 wrote (same hash format; the hash comes from the account stack just wrote).
        _ = try await harness.sql(
            """
            INSERT INTO "user" ("id", "name", "email", "emailVerified", "createdAt", "updatedAt")
            VALUES ('ba17-user', 'From BetterAuth', 'written-by-ba@example.com', true, now(), now())
            """)
        _ = try await harness.sql(
            """
            INSERT INTO "account" ("id", "issuer", "accountId", "providerId", "userId", "password", "createdAt",
                                   "updatedAt")
            SELECT 'ba17-account', 'local:credential', 'ba17-user', 'credential', 'ba17-user', "password", now(), now()
            FROM "account" WHERE "userId" = \(userID)
            """)
        let signIn = try await harness.post(
            "/sign-in/email", json(["email": "written-by-ba@example.com", "password": "issuer-scoped-1"]))
        #expect(signIn.status == 200, "\(signIn.text)")
        #expect((try signIn.json()["user"] as? [String: Any])?["id"] as? String == "ba17-user")
        // An account of another issuer is not this user's password (BetterAuth 1.7 sign-in ignores it too).
        _ = try await harness.sql(#"UPDATE "account" SET "issuer" = 'https://accounts.example.com' WHERE "id" = 'ba17-account'"#)
        let foreign = try await harness.post(
            "/sign-in/email", json(["email": "written-by-ba@example.com", "password": "issuer-scoped-1"]))
        #expect(foreign.status == 401 && foreign.code == "INVALID_EMAIL_OR_PASSWORD")
        try await harness.stack.stop()
    }

    @Test("tables stack created get a nullable issuer, backfilled for credential rows written before it")
    func issuerMigration() async throws {
        let harness = try await AuthHarness.start()
        let rows = try await harness.sql(
            """
            SELECT is_nullable FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name = 'account' AND column_name = 'issuer'
            """)
        #expect(try rows.first?.decode(String.self) == "YES")
        // A row as BetterAuth ≤ 1.6 writes it (no issuer) still signs in.
        let (_, userID) = try await harness.signUp("old-ba@example.com", password: "before-issuers")
        _ = try await harness.sql(#"UPDATE "account" SET "issuer" = NULL WHERE "userId" = \#(userID)"#)
        let signIn = try await harness.post(
            "/sign-in/email", json(["email": "old-ba@example.com", "password": "before-issuers"]))
        #expect(signIn.status == 200, "\(signIn.text)")
        try await harness.stack.stop()
    }

    @Test("an https base URL: __Secure- cookie names with Secure, and they are read back")
    func secureCookies() async throws {
        let yaml = AuthHarness.yaml().replacingOccurrences(
            of: "base_url: http://${API_LISTEN}", with: "base_url: https://auth.example.com")
        let harness = AuthHarness(stack: try await TestStack.start(yaml: yaml))
        let response = try await harness.post(
            "/sign-up/email",
            json(["name": "S", "email": "secure@example.com", "password": "correct horse battery", "rememberMe": false]))
        #expect(response.status == 200, "\(response.text)")
        let session = try #require(response.setCookies.first { $0.hasPrefix("__Secure-better-auth.session_token=") })
        #expect(session.hasSuffix("; Path=/; HttpOnly; Secure; SameSite=Lax"), "\(session)")
        let marker = try #require(response.setCookies.first { $0.hasPrefix("__Secure-better-auth.dont_remember=") })
        #expect(marker.hasSuffix("; Path=/; HttpOnly; Secure; SameSite=Lax"))
        #expect(response.cookie("better-auth.session_token") == nil)

        let value = try #require(response.cookie("__Secure-better-auth.session_token"))
        let viaCookie = try await harness.get(
            "/get-session", headers: [("cookie", "__Secure-better-auth.session_token=\(value)")])
        #expect((try viaCookie.json()["user"] as? [String: Any])?["email"] as? String == "secure@example.com")
        // The plain name is not read on an https origin (BetterAuth looks for the prefixed name only).
        let plain = try await harness.get("/get-session", headers: [("cookie", "better-auth.session_token=\(value)")])
        #expect(plain.text == "null")
        // JWTs carry the https origin as iss and aud.
        let jwt = try #require(viaCookie.header("set-auth-jwt"))
        let payload = try #require(Data(base64URLEncoded: String(jwt.split(separator: ".")[1])))
        let claims = try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
        #expect(claims["iss"] as? String == "https://auth.example.com" && claims["aud"] as? String == "https://auth.example.com")
        try await harness.stack.stop()
    }

    @Test("rate limits are on by default: the fourth sign-up within 10 s is 429 with X-Retry-After")
    func signUpLimitedByDefault() async throws {
        let harness = AuthHarness(stack: try await TestStack.start())
        for attempt in 1...3 {
            let response = try await harness.post("/sign-up/email", "{}")
            #expect(response.status == 400, "attempt \(attempt)")
        }
        let limited = try await harness.post(
            "/sign-up/email", json(["name": "R", "email": "limited@example.com", "password": "correct horse battery"]))
        #expect(limited.status == 429 && limited.code == "TOO_MANY_REQUESTS")
        #expect((1...10).contains(Int(limited.header("x-retry-after") ?? "") ?? 0))
        #expect(try await harness.sql(#"SELECT 1 FROM "user""#).isEmpty)
        try await harness.stack.stop()
    }

    @Test("sign-up stores and returns the optional image")
    func image() async throws {
        let harness = try await AuthHarness.start()
        let response = try await harness.post(
            "/sign-up/email",
            json(["name": "I", "email": "image@example.com", "password": "correct horse battery",
                  "image": "https://example.com/a.png"]))
        let user = try #require(try response.json()["user"] as? [String: Any])
        #expect(user["image"] as? String == "https://example.com/a.png")
        let stored = try await harness.sql(#"SELECT "image" FROM "user" WHERE "email" = 'image@example.com'"#)
        #expect(try stored[0].decode(String?.self) == "https://example.com/a.png")
        try await harness.stack.stop()
    }
}

extension Data {
    /// Decodes unpadded base64url (JWT segments).
    init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}
