/// Limits and timings of the sync endpoint (PowerSync's defaults).
public struct SyncLimits: Sendable {
    /// Concurrent `/sync/stream` connections; more get 429 `PSYNC_S2304`.
    public var maxConcurrentConnections = 200
    /// Buckets one connection may resolve to; more get `PSYNC_S2305`.
    public var maxBucketsPerConnection = 1000
    /// Ops per `data` line.
    public var opsPerChunk = 1000
    /// Ops per storage read during a download (split into `data` lines of `opsPerChunk`): fewer, larger reads
    /// pay the query round trip less often; a read holds about this many rows in memory per connection.
    public var opsPerRead = 4000
    /// Approximate bytes of row data per `data` line.
    public var bytesPerChunk = 1 << 20
    /// Bytes buffered before they are written to the socket during a download.
    public var writeBufferBytes = 128 << 10
    /// Interval of the `token_expires_in` keepalive (randomised by ±10%).
    public var keepaliveInterval: Duration = .seconds(20)
    /// A `token_expires_in` line is also sent this long before the token expires.
    public var expiryWarning: Duration = .seconds(20)
    /// Entries of the shared bucket-checksum cache.
    public var checksumCacheEntries = 100_000

    /// PowerSync's defaults.
    public init() {}
}
