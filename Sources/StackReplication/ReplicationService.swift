import Logging
import PostgresNIO
import ServiceLifecycle
import StackBuckets
import StackConfig
import StackCore
import StackPostgres
import StackSyncRules

/// Logical replication into bucket storage as a Service: picks (or creates) the stream for the config's sync
/// rules, keeps the previously served stream replicating until the new one has its first checkpoint, rebuilds a
/// stream whose slot was lost, and switches to other rules when asked through its `ReplicationControl`. Ends on
/// graceful shutdown.
public struct ReplicationService: Service {
    let config: StackConfig
    let storage: BucketStorage
    let databaseURL: String
    let availability: DatabaseAvailability
    let waitUntilReady: @Sendable () async throws -> Void
    let onCheckpoint: @Sendable (Checkpoint) async -> Void
    let onFailure: @Sendable (String) async -> Void
    let control: ReplicationControl?
    /// Rows per snapshot chunk (one bucket-storage transaction each).
    let snapshotChunkRows: Int
    let logger: Logger

    /// Creates the service. `databaseURL` (password included) is used for libpq replication connections only;
    /// `waitUntilReady` returns once migrations and the publication are in place; `onCheckpoint` runs after every
    /// checkpoint of a replicated stream (the first one makes stack ready); `control` takes rules changes.
    public init(
        config: StackConfig, storage: BucketStorage, databaseURL: String, availability: DatabaseAvailability,
        waitUntilReady: @escaping @Sendable () async throws -> Void,
        onCheckpoint: @escaping @Sendable (Checkpoint) async -> Void,
        onFailure: @escaping @Sendable (String) async -> Void = { _ in }, control: ReplicationControl? = nil,
        snapshotChunkRows: Int = 10_000, logger: Logger
    ) {
        self.snapshotChunkRows = snapshotChunkRows
        self.onFailure = onFailure
        self.config = config
        self.storage = storage
        self.databaseURL = databaseURL
        self.availability = availability
        self.waitUntilReady = waitUntilReady
        self.onCheckpoint = onCheckpoint
        self.control = control
        self.logger = logger
    }

    /// Runs until graceful shutdown.
    public func run() async throws {
        do {
            try await runReplication()
        } catch is CancellationError {
            return
        } catch {
            // Shutdown cancels queries in flight; whatever they throw then is not a failure.
            if Task.isCancelled { return }
            await onFailure(PostgresErrorText.describe(error))
            throw error
        }
    }

    private func runReplication() async throws {
        try await waitUntilReady()
        guard let document = config.syncRules, !document.definitions.isEmpty else {
            logger.notice("no sync rules configured; replication idle")
            try? await gracefulShutdown()
            return
        }
        let rules: StreamRules
        do {
            rules = try StreamRules(document: document)
        } catch {
            throw ReplicationError.invalidRules(error.description)
        }
        if let checkpoint = try await storage.latestCheckpoint() {
            await onCheckpoint(checkpoint)
        }
        try await cancelWhenGracefulShutdown {
            do {
                try await StreamSupervisor(service: self).run(initial: rules)
            } catch {
                // Shutdown cancels queries in flight; whatever they throw then is not a failure.
                if Task.isCancelled { return }
                throw error
            }
        }
    }
}

// swift-service-lifecycle logs every service with its properties at debug level (`stack up --verbose`): this one
// holds the replication URL with the database password.
extension ReplicationService: CustomStringConvertible {
    public var description: String {
        "ReplicationService(config: \(config), databaseURL: \(Redaction.url(databaseURL)))"
    }
}
