import Hummingbird
import Logging
import StackBuckets
import StackSync

/// The PowerSync-compatible sync endpoint on `sync.listen`: `/sync/stream`, write checkpoints. Reads the bucket
/// storage the replication component writes (same notifier, so one commit wakes every stream).
struct SyncComponent: StackComponent {
    let service: SyncService

    init(context: StackContext, storage: BucketStorage) throws {
        var logger = context.logger
        logger[metadataKey: "component"] = "sync"
        let settings = context.config.sync
        let verifier = try SyncTokenVerifier(
            audience: settings.audience, jwksURI: settings.jwksURI, staticKeys: settings.jwksKeys, logger: logger)
        let rules = try context.config.syncRules.map { try SyncRulesLoader.rules($0) }
        var limits = SyncLimits()
        limits.maxConcurrentConnections = settings.maxConnections
        limits.maxBucketsPerConnection = settings.maxBuckets
        service = SyncService(storage: storage, rules: rules, authenticator: verifier, limits: limits, logger: logger)
    }

    func addSyncRoutes(to router: Router<StackRequestContext>) {
        service.register(on: router)
    }
}
