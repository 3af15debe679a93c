import StackPostgres

/// BetterAuth's Postgres tables, as its CLI (`npx @better-auth/cli migrate`, Kysely adapter) creates them.
///
/// Every statement is `IF NOT EXISTS`: a database BetterAuth already set up is used as it is, and a database
/// set up by stack can be handed to BetterAuth unchanged.
public enum AuthMigrations {
    /// The migration namespace.
    public static let namespace = "auth"

    /// The migrations, in order. Landed migrations never change: add a new one.
    public static let all: [Migration] = [
        Migration(id: 1, name: "betterauth core and jwks tables", sql: createTables),
        Migration(id: 2, name: "betterauth 1.7 account issuer", sql: accountIssuer),
    ]

    /// The `account.issuer` of credential accounts (BetterAuth ≥ 1.7 `createLocalAccountIssuer("credential")`).
    public static let credentialIssuer = "local:credential"

    // BetterAuth 1.7 (#10403) scopes accounts by issuer: its sign-in accepts a credential account only with
    // issuer = 'local:credential'. The column is added nullable, so BetterAuth ≤ 1.6 (which never writes it) keeps
    // working on the same tables, and credential rows are backfilled as its 1.7 upgrade guide prescribes. The unique
    // (issuer, accountId) index is left to BetterAuth's own migration, which owns identity-collision handling.
    static let accountIssuer = """
        DO $migration$
        BEGIN
          ALTER TABLE "account" ADD COLUMN IF NOT EXISTS "issuer" text;
          UPDATE "account" SET "issuer" = 'local:credential' WHERE "issuer" IS NULL AND "providerId" = 'credential';
        END
        $migration$
        """

    // One DO block: PostgresNIO sends each migration as a single extended-protocol statement.
    // Column types and constraints are those of BetterAuth ≥ 1.4 (timestamptz, ON DELETE CASCADE, userId indexes).
    // The jwks columns added after BetterAuth 1.0 (expiresAt, alg, crv) are added to older tables, as its CLI does.
    static let createTables = """
        DO $migration$
        BEGIN
          CREATE TABLE IF NOT EXISTS "user" (
            "id" text NOT NULL PRIMARY KEY, "name" text NOT NULL, "email" text NOT NULL UNIQUE,
            "emailVerified" boolean NOT NULL, "image" text,
            "createdAt" timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL,
            "updatedAt" timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL);
          CREATE TABLE IF NOT EXISTS "session" (
            "id" text NOT NULL PRIMARY KEY, "expiresAt" timestamptz NOT NULL, "token" text NOT NULL UNIQUE,
            "createdAt" timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL, "updatedAt" timestamptz NOT NULL,
            "ipAddress" text, "userAgent" text,
            "userId" text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE);
          CREATE TABLE IF NOT EXISTS "account" (
            "id" text NOT NULL PRIMARY KEY, "accountId" text NOT NULL, "providerId" text NOT NULL,
            "userId" text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE,
            "accessToken" text, "refreshToken" text, "idToken" text,
            "accessTokenExpiresAt" timestamptz, "refreshTokenExpiresAt" timestamptz, "scope" text, "password" text,
            "createdAt" timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL, "updatedAt" timestamptz NOT NULL);
          CREATE TABLE IF NOT EXISTS "verification" (
            "id" text NOT NULL PRIMARY KEY, "identifier" text NOT NULL, "value" text NOT NULL,
            "expiresAt" timestamptz NOT NULL,
            "createdAt" timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL,
            "updatedAt" timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL);
          CREATE TABLE IF NOT EXISTS "jwks" (
            "id" text NOT NULL PRIMARY KEY, "publicKey" text NOT NULL, "privateKey" text NOT NULL,
            "createdAt" timestamptz NOT NULL, "expiresAt" timestamptz, "alg" text, "crv" text);
          ALTER TABLE "jwks" ADD COLUMN IF NOT EXISTS "expiresAt" timestamptz;
          ALTER TABLE "jwks" ADD COLUMN IF NOT EXISTS "alg" text;
          ALTER TABLE "jwks" ADD COLUMN IF NOT EXISTS "crv" text;
          CREATE INDEX IF NOT EXISTS "session_userId_idx" ON "session" ("userId");
          CREATE INDEX IF NOT EXISTS "account_userId_idx" ON "account" ("userId");
          CREATE INDEX IF NOT EXISTS "verification_identifier_idx" ON "verification" ("identifier");
        END
        $migration$
        """
}
