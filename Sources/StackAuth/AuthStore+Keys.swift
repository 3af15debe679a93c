import PostgresNIO

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The `jwks` table: signing keys, BetterAuth's rows included.
extension AuthStore {
    // Serialises key creation across stack processes (and a concurrent `stack auth rotate-keys`).
    private static let keyLockID: Int64 = 0x5354_4B41_4A57_4B53

    /// Whether the `jwks` table exists yet (the auth migration or BetterAuth creates it).
    public func hasKeysTable() async throws -> Bool {
        let rows = try await client.queryIfOpen(#"SELECT to_regclass('"jwks"') IS NOT NULL"#, logger: logger)
        for try await exists in rows.decode(Bool.self) { return exists }
        return false
    }

    /// Every row of `jwks`, oldest first.
    public func loadKeys() async throws -> [JWKSRow] {
        let rows = try await client.queryIfOpen(
            """
            SELECT "id", "publicKey", "privateKey", "createdAt", "expiresAt", "alg", "crv"
            FROM "jwks" ORDER BY "createdAt", "id"
            """, logger: logger)
        var keys: [JWKSRow] = []
        for try await (id, publicKey, privateKey, createdAt, expiresAt, alg, crv) in rows.decode(
            (String, String, String, Date, Date?, String?, String?).self)
        {
            keys.append(
                JWKSRow(
                    id: id, publicKey: publicKey, privateKey: privateKey, createdAt: createdAt, expiresAt: expiresAt,
                    alg: alg, crv: crv))
        }
        return keys
    }

    /// Inserts `make()` unless a live key (no `expiresAt`, or one in the future) exists; true when it inserted.
    public func insertKeyIfNoLiveKey(now: Date, make: @Sendable () async throws -> JWKSRow) async throws -> Bool {
        try await client.transaction(logger: logger) { connection in
            try await connection.queryIfOpen("SELECT pg_advisory_xact_lock(\(Self.keyLockID))", logger: logger)
            let live = try await connection.queryIfOpen(
                #"SELECT 1 FROM "jwks" WHERE "expiresAt" IS NULL OR "expiresAt" > \#(now) LIMIT 1"#, logger: logger)
            for try await _ in live { return false }
            try await insert(try await make(), on: connection)
            return true
        }
    }

    /// Rotation: every live key stops signing with `retiredExpiresAt`, then `newKey` becomes the signing key.
    public func rotate(to newKey: JWKSRow, retiredExpiresAt: Date, now: Date) async throws -> Int {
        try await client.transaction(logger: logger) { connection in
            try await connection.queryIfOpen("SELECT pg_advisory_xact_lock(\(Self.keyLockID))", logger: logger)
            let rows = try await connection.queryIfOpen(
                """
                UPDATE "jwks" SET "expiresAt" = \(retiredExpiresAt)
                WHERE "expiresAt" IS NULL OR "expiresAt" > \(now) RETURNING 1
                """, logger: logger)
            var retired = 0
            for try await _ in rows { retired += 1 }
            try await insert(newKey, on: connection)
            return retired
        }
    }

    private func insert(_ row: JWKSRow, on connection: PostgresConnection) async throws {
        try await connection.queryIfOpen(
            """
            INSERT INTO "jwks" ("id", "publicKey", "privateKey", "createdAt", "expiresAt", "alg", "crv")
            VALUES (\(row.id), \(row.publicKey), \(row.privateKey), \(row.createdAt), \(row.expiresAt), \(row.alg),
                    \(row.crv))
            """, logger: logger)
    }
}
