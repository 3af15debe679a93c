import Logging
import StackCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The keys tokens are checked against: static keys plus a cached remote JWKS (`CachedKeyCollector.ts`).
///
/// Refreshing is driven by verifications, not by a timer: a verification after 5 minutes starts a background
/// fetch and goes on with the cached keys; keys not refreshed for 60 minutes are dropped and a verification waits
/// (up to 3 s) for new ones; failed fetches keep the old keys. Automatic fetches share one leaky bucket.
actor KeyCache {
    /// Keys to try and, when the last fetch failed, why.
    struct Snapshot: Sendable {
        /// Static keys first, then the remote ones.
        var keys: [VerificationKey]
        /// The last fetch error (`PSYNC_S2204`), nil after a success.
        var fetchError: SyncServiceError?
        /// True when this snapshot already waited for a fetch (no second wait for the same request).
        var waitedForFetch = false
    }

    /// Background refresh after this many seconds since the last started fetch.
    static let refreshInterval: Double = 5 * 60
    /// Remote keys are dropped when not refreshed for this long.
    static let keyExpiry: Double = 60 * 60
    /// How long a verification waits for a fetch when it has no keys: PowerSync's 3 s.
    static let defaultWaitLimit: Duration = .seconds(3)

    private let fetcher: JWKSFetcher?
    private let waitLimit: Duration
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let unpreparedStaticKeys: [VerificationKey]
    /// Static keys with their verifiers, made once by the first verification; every concurrent first caller
    /// awaits the same task.
    private var staticKeysReady: Task<[VerificationKey], Never>?
    private var remoteKeys: [VerificationKey] = []
    /// When `remoteKeys` were fetched; nil before the first success.
    private var fetchedAt: Date?
    private var lastFetchStart: Date?
    private var fetchError: SyncServiceError?
    private var bucket = LeakyBucket()
    /// The fetch in flight; every caller shares it.
    private var inFlight: Task<Void, Never>?
    /// Verifications waiting for `inFlight`, resumed with true when it ends or false on their timeout.
    private var waiters: [Int: CheckedContinuation<Bool, Never>] = [:]
    private var nextWaiter = 0

    init(
        staticKeys: [VerificationKey], fetcher: JWKSFetcher?, waitLimit: Duration = defaultWaitLimit, logger: Logger,
        now: @escaping @Sendable () -> Date
    ) {
        self.unpreparedStaticKeys = staticKeys
        self.fetcher = fetcher
        self.waitLimit = waitLimit
        self.logger = logger
        self.now = now
    }

    /// The keys to verify with now, starting or awaiting a fetch as the policy above says.
    func snapshot() async -> Snapshot {
        let staticKeys = await preparedStaticKeys()
        guard fetcher != nil else { return Snapshot(keys: staticKeys, fetchError: nil) }
        if isExpired { remoteKeys = [] }
        if wantsRefresh, bucket.allow(now: now()) { startFetch() }
        var error = fetchError
        var waited = false
        if isExpired, inFlight != nil {
            waited = true
            let finished = await waitForFetch(upTo: waitLimit)
            error = finished ? fetchError : .jwksRequestFailed("the JWKS request did not finish within \(waitLimit)")
        }
        return Snapshot(keys: staticKeys + remoteKeys, fetchError: error, waitedForFetch: waited)
    }

    /// No key matched a token: fetch (rate limited) and wait for it; true when keys may have changed.
    func keyNotFound() async -> Bool {
        guard fetcher != nil else { return false }
        if inFlight == nil {
            guard bucket.allow(now: now()) else { return false }
            startFetch()
        }
        return await waitForFetch(upTo: waitLimit)
    }

    /// Fetches now (not rate limited) and waits for the result; failures are logged, old keys stay.
    func refresh() async {
        guard fetcher != nil else { return }
        if inFlight == nil { startFetch() }
        await inFlight?.value
    }

    private var isExpired: Bool {
        guard let fetchedAt else { return true }
        return now().timeIntervalSince(fetchedAt) > Self.keyExpiry
    }

    private var wantsRefresh: Bool {
        guard inFlight == nil else { return false }
        guard fetchError == nil, let lastFetchStart else { return true }
        return now().timeIntervalSince(lastFetchStart) >= Self.refreshInterval
    }

    private func preparedStaticKeys() async -> [VerificationKey] {
        if let staticKeysReady { return await staticKeysReady.value }
        let keys = unpreparedStaticKeys
        let ready = Task {
            var prepared = [VerificationKey]()
            for key in keys { prepared.append(await key.prepared()) }
            return prepared
        }
        staticKeysReady = ready
        return await ready.value
    }

    private func startFetch() {
        guard let fetcher, inFlight == nil else { return }
        lastFetchStart = now()
        // One fetch at a time, kept as a task so a verification can stop waiting while the fetch completes;
        // it ends within the 30 s request timeout.
        inFlight = Task { await self.fetch(with: fetcher) }
    }

    private func fetch(with fetcher: JWKSFetcher) async {
        defer {
            inFlight = nil
            for waiter in waiters.values { waiter.resume(returning: true) }
            waiters = [:]
        }
        do {
            let fetched = try await fetcher.fetch()
            var prepared = [VerificationKey]()
            for key in fetched { prepared.append(await key.prepared()) }
            remoteKeys = prepared
            fetchedAt = now()
            fetchError = nil
            logger.debug(
                "JWKS refreshed",
                metadata: ["jwks.uri": "\(Redaction.url(fetcher.uri))", "jwks.keys": "\(prepared.count)"])
        } catch {
            fetchError = error
            logger.warning(
                "JWKS refresh failed; keeping the previous keys",
                metadata: [
                    "jwks.uri": "\(Redaction.url(fetcher.uri))", "jwks.keys": "\(remoteKeys.count)",
                    "error.code": "\(error.code)", "error.message": "\(error.description)",
                ])
        }
    }

    /// True when the fetch in flight (if any) finished within `limit`. The fetch goes on either way: a task group
    /// would wait for it, so the wait is a continuation that the fetch or a short timer resumes.
    private func waitForFetch(upTo limit: Duration) async -> Bool {
        guard inFlight != nil else { return true }
        let id = nextWaiter
        nextWaiter += 1
        let timer = Task { [weak self] in
            try? await Task.sleep(for: limit)
            await self?.resumeWaiter(id, finished: false)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { waiters[id] = $0 }
    }

    private func resumeWaiter(_ id: Int, finished: Bool) {
        waiters.removeValue(forKey: id)?.resume(returning: finished)
    }
}
