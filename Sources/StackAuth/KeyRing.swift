import Logging
import StackPostgres

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The signing keys of the `jwks` table, decrypted and cached as a `JWTIssuer`; the first key is made on demand.
///
/// BetterAuth's rules: the signing key is the newest key whose `expiresAt` is unset or in the future; the JWKS
/// publishes every key until `expiresAt` + grace period. Only RS256 rows are used.
public actor KeyRing {
    private let store: AuthStore
    private let encryption: KeyEncryption
    private let origin: AuthOrigin
    private let lifetime: Int
    private let gracePeriod: Int
    private let refreshInterval: TimeInterval
    private let availability: DatabaseAvailability
    private let logger: Logger
    private var cached: (issuer: JWTIssuer, loadedAt: Date)?

    /// A key ring over `store`'s `jwks` table.
    public init(
        store: AuthStore, encryption: KeyEncryption, origin: AuthOrigin, lifetime: Int, gracePeriod: Int,
        refreshInterval: TimeInterval, availability: DatabaseAvailability = .alwaysAvailable, logger: Logger
    ) {
        self.store = store
        self.encryption = encryption
        self.origin = origin
        self.lifetime = lifetime
        self.gracePeriod = gracePeriod
        self.refreshInterval = refreshInterval
        self.availability = availability
        self.logger = logger
    }

    /// The current issuer, reloaded when older than the refresh interval; creates the first key if there is none.
    /// While Postgres cannot be reached, the last loaded keys are used (the JWKS keeps answering, so tokens keep
    /// verifying through a database restart); without loaded keys that is `DatabaseUnavailable`.
    public func issuer(now: Date = Date()) async throws -> JWTIssuer {
        if let cached, now.timeIntervalSince(cached.loadedAt) < refreshInterval { return cached.issuer }
        do {
            return try await availability.guarding { try await self.reload(now: now) }
        } catch  where DatabaseAvailability.isUnreachable(error) {
            guard let cached else { throw error }
            logger.debug("database unreachable, using the loaded signing keys")
            return cached.issuer
        }
    }

    /// Reloads now unless the cache was loaded within the last second (a burst of unknown `kid`s reloads once).
    public func reloadIfStale(now: Date = Date()) async throws -> JWTIssuer {
        if let cached, now.timeIntervalSince(cached.loadedAt) < 1 { return cached.issuer }
        return try await reload(now: now)
    }

    /// Reads the table, creating a signing key if none is live, and decrypts every published key.
    @discardableResult
    public func reload(now: Date = Date()) async throws -> JWTIssuer {
        var rows = try await store.loadKeys()
        if Self.signingRow(in: rows, now: now) == nil {
            let encryption = self.encryption
            let created = try await store.insertKeyIfNoLiveKey(now: now) {
                try await SigningKey.generateOffPool(createdAt: now.wholeMilliseconds).row(encryption: encryption)
            }
            if created { logger.notice("created a signing key", metadata: ["auth.keys": "\(rows.count + 1)"]) }
            rows = try await store.loadKeys()
        }
        guard let signingRow = Self.signingRow(in: rows, now: now) else {
            throw AuthError.unsupportedSigningKey("no live RS256 key in the jwks table after creating one")
        }
        let published = try decrypt(rows.filter { isPublished($0, now: now) })
        guard let signing = published.first(where: { $0.id == signingRow.id }) else {
            throw AuthError.unsupportedSigningKey("row \(signingRow.id) cannot be loaded")
        }
        return try await cache(signing: signing, published: published, now: now)
    }

    /// Decrypts every published key without creating one: the startup check that the secret still fits. The keys
    /// are kept when there is a signing key, so the JWKS is served from memory from the start.
    public func validateStoredKeys(now: Date = Date()) async throws -> Int {
        let rows = try await store.loadKeys()
        let published = try decrypt(rows.filter { isPublished($0, now: now) })
        if let signingRow = Self.signingRow(in: rows, now: now),
            let signing = published.first(where: { $0.id == signingRow.id })
        {
            try await cache(signing: signing, published: published, now: now)
        }
        return published.count
    }

    @discardableResult
    private func cache(signing: SigningKey, published: [SigningKey], now: Date) async throws -> JWTIssuer {
        let issuer = try await JWTIssuer(
            signingKey: signing, verificationKeys: published.filter { $0.id != signing.id }, origin: origin,
            lifetime: lifetime)
        cached = (issuer, now)
        return issuer
    }

    private func decrypt(_ rows: [JWKSRow]) throws -> [SigningKey] {
        var keys: [SigningKey] = []
        for row in rows where Self.isRS256(row) {
            let result = Result { () throws(AuthError) -> SigningKey in try SigningKey(row: row, encryption: encryption)
            }
            switch result {
            case .success(let key):
                keys.append(key)
            case .failure(let error) where error.stackCode == Self.unsupportedKeyCode:
                // A row BetterAuth wrote for another algorithm (alg unset, EdDSA JWK): not ours to sign with.
                logger.warning("skipping a jwks row that is not an RSA key", metadata: ["auth.kid": "\(row.id)"])
            case .failure(let error):
                throw error
            }
        }
        return keys
    }

    private static let unsupportedKeyCode = AuthError.unsupportedSigningKey("").stackCode

    private func isPublished(_ row: JWKSRow, now: Date) -> Bool {
        Self.isPublished(row, gracePeriod: gracePeriod, now: now)
    }

    /// BetterAuth's JWKS rule: a key is published until its `expiresAt` plus the grace period.
    static func isPublished(_ row: JWKSRow, gracePeriod: Int, now: Date) -> Bool {
        guard let expiresAt = row.expiresAt else { return true }
        return expiresAt.addingTimeInterval(TimeInterval(gracePeriod)) > now
    }

    static func isRS256(_ row: JWKSRow) -> Bool {
        row.alg == nil || row.alg == SigningKey.algorithm
    }

    /// BetterAuth's `getLatestKey`: the newest RS256 row whose `expiresAt` is unset or later than `now`.
    static func signingRow(in rows: [JWKSRow], now: Date) -> JWKSRow? {
        let live = rows.filter { row in
            guard isRS256(row), row.publicKey.contains("\"RSA\"") else { return false }
            guard let expiresAt = row.expiresAt else { return true }
            return expiresAt > now
        }
        return live.max { left, right in
            left.createdAt == right.createdAt ? left.id < right.id : left.createdAt < right.createdAt
        }
    }
}

extension KeyRing {
    /// `stack auth rotate-keys`: a new signing key; the old ones stay published for `grace` more seconds.
    public func rotate(grace: Int, now: Date = Date()) async throws -> (newKeyID: String, retired: Int) {
        // BetterAuth publishes a key until `expiresAt` + its grace period, and signs with the newest live key; so a
        // key that must stay published for `grace` more seconds gets expiresAt = now + grace - gracePeriod.
        let retiredExpiresAt = now.addingTimeInterval(TimeInterval(grace - gracePeriod)).wholeMilliseconds
        let key = try await SigningKey.generateOffPool(createdAt: now.wholeMilliseconds)
        let retired = try await store.rotate(
            to: key.row(encryption: encryption), retiredExpiresAt: retiredExpiresAt, now: now)
        try await reload(now: now)
        logger.notice("rotated signing keys", metadata: ["auth.kid": "\(key.id)", "auth.retired": "\(retired)"])
        return (key.id, retired)
    }
}
