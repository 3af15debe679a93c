import AsyncHTTPClient
import Logging
import StackCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Verifies the JWTs sync clients send, with PowerSync's rules and error codes (PROTOCOL §4, `KeyStore.ts`).
///
/// Safe to call from many streams at once: key state lives in an actor.
public final class SyncTokenVerifier: Sendable {
    /// PowerSync's message when no key fits the token's `kid` and `alg`, or no kid-less key's signature matches.
    static let keyNotFound = SyncServiceError.authGeneric(
        "Could not find an appropriate key in the keystore. The key is missing or no key matched the token KID")

    private let policy: TokenClaimsPolicy
    private let keys: KeyCache
    private let now: @Sendable () -> Date

    /// A verifier accepting `audience`, with keys from `jwksURI` (fetched on first use or `refresh()`) and
    /// `staticKeys` (JWK objects; the only place `kty: oct` HS* secrets are accepted).
    /// A static key that does not parse is `PSYNC_S2201` naming its index, never its material. A verification
    /// with no usable remote keys waits up to `fetchWaitLimit` for a fetch (PowerSync's 3 s).
    public init(
        audience: [String], jwksURI: String?, staticKeys: [[String: StackCore.JSONValue]],
        httpClient: HTTPClient = .shared, fetchWaitLimit: Duration = .seconds(3), logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) throws(SyncServiceError) {
        var parsed = [VerificationKey]()
        for (index, jwk) in staticKeys.enumerated() {
            do throws(KeyProblem) {
                parsed.append(try VerificationKey(jwk: jwk, allowSecrets: true))
            } catch {
                throw .authConfiguration("sync.jwks.keys[\(index)]: \(error.reason)")
            }
        }
        let fetcher = try jwksURI.map { uri throws(SyncServiceError) in
            try JWKSFetcher(uri: uri, httpClient: httpClient, logger: logger)
        }
        self.policy = TokenClaimsPolicy(audience: audience)
        self.keys = KeyCache(
            staticKeys: parsed, fetcher: fetcher, waitLimit: fetchWaitLimit, logger: logger, now: now)
        self.now = now
    }

    /// Verifies the token of an `Authorization: Token <jwt>` or `Bearer <jwt>` header; anything else is
    /// `PSYNC_S2106`.
    public func verify(authorization: String?) async throws(SyncServiceError) -> VerifiedToken {
        guard let token = Self.token(fromAuthorization: authorization) else { throw .noToken }
        return try await verify(token: token)
    }

    /// Verifies a compact JWT: key, signature, then claims (`PSYNC_S2101`…`S2105`).
    public func verify(token: String) async throws(SyncServiceError) -> VerifiedToken {
        let jwt = try CompactJWT(token)
        var snapshot = await keys.snapshot()
        var key = try Self.matchingKey(for: jwt, in: snapshot.keys)
        if key == nil, !snapshot.waitedForFetch, await keys.keyNotFound() {
            // A rotated key shows up in the JWKS before tokens signed with it: one fresh look is enough.
            snapshot = await keys.snapshot()
            key = try Self.matchingKey(for: jwt, in: snapshot.keys)
        }
        guard key != nil else {
            throw snapshot.fetchError ?? Self.keyNotFound
        }
        return try policy.validate(jwt.payload, now: now())
    }

    /// Fetches the JWKS now and waits for it; never throws (failures are logged and the old keys kept).
    public func refresh() async {
        await keys.refresh()
    }

    /// The key that signed `jwt`: the one with its `kid` (which must fit `alg` and verify), else the first
    /// kid-less key of a fitting algorithm whose signature verifies; nil when none does.
    static func matchingKey(for jwt: CompactJWT, in keys: [VerificationKey]) throws(SyncServiceError)
        -> VerificationKey?
    {
        if let kid = jwt.keyID, let key = keys.first(where: { $0.kid == kid }) {
            guard key.accepts(jwt.algorithm) else {
                throw .authGeneric("Unexpected token algorithm \(jwt.algorithm)")
            }
            guard key.isValidSignature(jwt.signature, for: jwt.signingInput, algorithm: jwt.algorithm) else {
                throw .badSignature
            }
            return key
        }
        return keys.first { key in
            key.kid == nil && key.accepts(jwt.algorithm)
                && key.isValidSignature(jwt.signature, for: jwt.signingInput, algorithm: jwt.algorithm)
        }
    }

    /// The `<jwt>` of `Token <jwt>` / `Bearer <jwt>` (PowerSync's `^(Token|Bearer) (\S+)$`).
    static func token(fromAuthorization header: String?) -> String? {
        guard let header else { return nil }
        let rest: Substring
        if header.hasPrefix("Token ") {
            rest = header.dropFirst("Token ".count)
        } else if header.hasPrefix("Bearer ") {
            rest = header.dropFirst("Bearer ".count)
        } else {
            return nil
        }
        guard !rest.isEmpty, !rest.contains(where: \.isWhitespace) else { return nil }
        return String(rest)
    }
}
