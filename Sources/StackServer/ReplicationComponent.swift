import ServiceLifecycle
import StackBuckets
import StackReplication

/// Logical replication into bucket storage: the `buckets` migrations and the replication service. Ready once
/// the first checkpoint exists (the sync endpoint waits for it).
struct ReplicationComponent: StackComponent {
    let context: StackContext
    /// The bucket storage the sync endpoint reads (shares the notifier the replicator wakes).
    let storage: BucketStorage
    /// Takes sync-rules changes (`stack sync reload`); nil when there are no rules, so nothing replicates.
    let control: ReplicationControl?

    init(context: StackContext) {
        self.context = context
        self.storage = BucketStorage(
            client: context.client, schema: context.config.sync.storageSchema, logger: context.logger)
        self.control = context.config.syncRules == nil ? nil : ReplicationControl()
    }

    var migrations: [MigrationSet] {
        [MigrationSet(namespace: BucketMigrations.namespace, migrations: BucketMigrations.all(schema: storage.schema))]
    }

    var services: [any Service] {
        // Without sync rules there is nothing to replicate: no slot, no service, nothing to wait for.
        guard context.config.syncRules != nil else { return [] }
        let gate = context.gate
        return [
            ReplicationService(
                config: context.config, storage: storage, databaseURL: context.databaseURL.urlString,
                availability: context.availability,
                waitUntilReady: { try await gate.wait(for: ["database"]) },
                onCheckpoint: { checkpoint in
                    if await gate.detail(of: "replication") == nil {
                        await gate.markReady("replication", detail: "\(checkpoint.opID)")
                    }
                },
                onFailure: { reason in await gate.markFailed("replication", reason: reason) }, control: control,
                logger: context.logger)
        ] + compaction
    }

    /// Scheduled compaction, unless `sync.compact_every: off`.
    private var compaction: [any Service] {
        let seconds = context.config.sync.compactEvery
        guard seconds > 0 else { return [] }
        let gate = context.gate
        return [
            CompactionService(
                storage: storage, every: .seconds(seconds),
                waitUntilReady: { try await gate.wait(for: ["replication"]) },
                logger: context.logger)
        ]
    }

    var readinessNames: Set<String> { context.config.syncRules == nil ? [] : ["replication"] }
}
