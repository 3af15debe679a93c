import Logging
import ServiceLifecycle
import StackBuckets

/// Compacts the served stream's buckets on a schedule (`sync.compact_every`): superseded ops become MOVEs and
/// leading runs a CLEAR, so new clients download less; checksums are unchanged, so connected clients notice nothing.
public struct CompactionService: Service {
    let storage: BucketStorage
    let every: Duration
    let waitUntilReady: @Sendable () async throws -> Void
    let logger: Logger

    /// A service compacting every `every` once `waitUntilReady` returns.
    public init(
        storage: BucketStorage, every: Duration, waitUntilReady: @escaping @Sendable () async throws -> Void,
        logger: Logger
    ) {
        self.storage = storage
        self.every = every
        self.waitUntilReady = waitUntilReady
        self.logger = logger
    }

    public func run() async throws {
        do {
            try await waitUntilReady()
        } catch {
            // Stopping before replication was ready: end when the group asks (it stops services in turn).
            try? await gracefulShutdown()
            return
        }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let every = self.every
                try await cancelOnGracefulShutdown { try await Task.sleep(for: every) }
            } catch {
                return
            }
            await compactOnce()
        }
    }

    /// One compaction of the active stream up to its checkpoint; failures are logged and retried next time.
    func compactOnce() async {
        do {
            guard let stream = try await storage.activeStream(), let checkpoint = stream.checkpoint else { return }
            let summary = try await storage.compact(stream: stream.id, upTo: checkpoint.opID)
            logger.info(
                "buckets compacted",
                metadata: [
                    "compact.stream": "\(stream.id)", "compact.buckets": "\(summary.buckets)",
                    "compact.moved": "\(summary.moved)", "compact.cleared": "\(summary.cleared)",
                ])
        } catch {
            logger.warning("scheduled compaction failed; trying again later", metadata: ["error": "\(error)"])
        }
    }
}
