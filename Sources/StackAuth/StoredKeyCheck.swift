#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Which published `jwks` rows a secret can load: what the startup check enforces and `stack doctor` reports.
public struct StoredKeyCheck: Sendable {
    /// A published row that does not load, with the reason (never the secret or key material).
    public struct Failure: Sendable {
        /// The row id (the public JWT `kid`).
        public var kid: String
        /// Why it does not load (`STACK-A022` for a wrong secret).
        public var error: AuthError
    }

    /// RS256 rows published now (BetterAuth's rule: `expiresAt` unset, or `expiresAt` + grace period in the future).
    public var published: Int
    /// Published rows that decrypt and load with the secret.
    public var loaded: [String]
    /// Published rows that do not.
    public var failures: [Failure]

    /// Tries every published RS256 row of `rows` with `encryption`; rows of other algorithms are not counted.
    public static func run(
        rows: [JWKSRow], encryption: KeyEncryption, gracePeriod: Int = AuthConfiguration.defaultGracePeriod,
        now: Date = Date()
    ) -> StoredKeyCheck {
        var check = StoredKeyCheck(published: 0, loaded: [], failures: [])
        for row in rows where KeyRing.isRS256(row) && KeyRing.isPublished(row, gracePeriod: gracePeriod, now: now) {
            do throws(AuthError) {
                _ = try SigningKey(row: row, encryption: encryption)
                check.published += 1
                check.loaded.append(row.id)
            } catch where error.stackCode == AuthError.unsupportedSigningKey("").stackCode {
                continue  // BetterAuth rows of another key type: KeyRing skips them as well.
            } catch {
                check.published += 1
                check.failures.append(Failure(kid: row.id, error: error))
            }
        }
        return check
    }

    /// Whether a failure means the secret is wrong (rather than a corrupt row).
    public static func isWrongSecret(_ error: AuthError) -> Bool {
        [AuthError.keyDecryptionFailed.stackCode, AuthError.unknownSecretVersion(0).stackCode,
         AuthError.noLegacySecret.stackCode].contains(error.stackCode)
    }
}
