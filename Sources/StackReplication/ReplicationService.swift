import Logging
import PostgresNIO
import ServiceLifecycle
import StackBuckets
import StackConfig
import StackPostgres
import StackSyncRules

/// Logical replication into bucket storage as a Service: picks (or creates) the stream for the config's sync
/// rules, keeps the previously served stream replicating until the new one has its first checkpoint, and rebuilds
/// a stream whose slot was lost. Ends on graceful shutdown.
public struct ReplicationService: Service {
    let config: StackConfig
    let storage: BucketStorage
    let databaseURL: String
    let waitUntilReady: @Sendable () async throws -> Void
    let onCheckpoint: @Sendable (Checkpoint) async -> Void
    let onFailure: @Sendable (String) async -> Void
    let logger: Logger

    /// Creates the service. `databaseURL` (password included) is used for libpq replication connections only;
    /// `waitUntilReady` returns once migrations and the publication are in place; `onCheckpoint` runs after every
    /// checkpoint of the served stream (the first one makes stack ready).
    public init(
        config: StackConfig, storage: BucketStorage, databaseURL: String,
        waitUntilReady: @escaping @Sendable () async throws -> Void,
        onCheckpoint: @escaping @Sendable (Checkpoint) async -> Void,
        onFailure: @escaping @Sendable (String) async -> Void = { _ in }, logger: Logger
    ) {
        self.onFailure = onFailure
        self.config = config
        self.storage = storage
        self.databaseURL = databaseURL
        self.waitUntilReady = waitUntilReady
        self.onCheckpoint = onCheckpoint
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
        let rules: SyncRules
        do {
            rules = try SyncRulesLoader.rules(document)
        } catch {
            throw ReplicationError.invalidRules(error.description)
        }
        let content = SyncRulesLoader.content(document)
        let hash = SyncRulesLoader.hash(content)
        if let checkpoint = try await storage.latestCheckpoint() {
            await onCheckpoint(checkpoint)
        }
        try await cancelWhenGracefulShutdown {
            do {
                try await supervise(rules: rules, content: content, hash: hash)
            } catch {
                // Shutdown cancels queries in flight; whatever they throw then is not a failure.
                if Task.isCancelled { return }
                throw error
            }
        }
    }

    private func supervise(rules: SyncRules, content: String, hash: String) async throws {
        let tables = try await replicatedTables(rules)
        while !Task.isCancelled {
            try await dropStoppedStreams()
            let streams = try await storage.streams()
            var current = streams.last { $0.rulesHash == hash }
            if current == nil {
                let created = try await storage.createStream(rulesHash: hash, content: content)
                logger.notice(
                    streams.isEmpty ? "replication stream created" : "sync rules changed; building a new stream",
                    metadata: ["replication.stream": "\(created.id)", "replication.slot": "\(created.slotName)"])
                current = created
            }
            guard let current else { return }
            for stale in streams where stale.id != current.id && stale.state == .processing {
                try await storage.setState(stream: stale.id, .stop)
            }
            let serving = streams.last { $0.id != current.id && $0.state == .active }
            do {
                try await run(current, serving: serving, rules: rules, tables: tables)
                return
            } catch let error as ReplicationError where error.isSlotLost {
                let replacement = try await storage.createStream(rulesHash: hash, content: content)
                logger.notice(
                    "replication slot lost; rebuilding the stream with a new slot while the old data keeps serving",
                    metadata: [
                        "replication.stream": "\(current.id)", "replication.slot": "\(current.slotName)",
                        "replication.new_stream": "\(replacement.id)", "replication.new_slot": "\(replacement.slotName)",
                    ])
                if current.state != .active { try await storage.setState(stream: current.id, .stop) }
            }
        }
    }

    /// Runs the stream being built (or served) and, until it takes over, the previously served one.
    private func run(
        _ stream: ReplicationStreamRecord, serving: ReplicationStreamRecord?, rules: SyncRules, tables: [SourceTable]
    ) async throws {
        let (takeover, takeoverContinuation) = AsyncStream.makeStream(of: Void.self)
        let onCheckpoint = self.onCheckpoint
        let main = StreamRunner(
            storage: storage, rules: rules, streamID: stream.id, databaseURL: databaseURL,
            publication: config.sync.publication, tables: tables, logger: logger,
            onCommit: { outcome in
                if let checkpoint = outcome.checkpoint { await onCheckpoint(checkpoint) }
                if outcome.activated { takeoverContinuation.yield() }
            })
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let serving, let servingRules = try? SyncRules.parse(yaml: serving.content) {
                let old = StreamRunner(
                    storage: storage, rules: servingRules, streamID: serving.id, databaseURL: databaseURL,
                    publication: config.sync.publication, tables: tables, logger: logger,
                    onCommit: { outcome in if let checkpoint = outcome.checkpoint { await onCheckpoint(checkpoint) } })
                group.addTask { [logger, storage, self] in
                    // The old stream serves until the new one is active; a lost slot just stops its updates.
                    let replaced = await withTaskGroup(of: Bool.self) { inner in
                        inner.addTask {
                            try? await old.run()
                            // Even without replication (lost slot) the old data serves until the takeover.
                            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                            return false
                        }
                        inner.addTask {
                            for await _ in takeover { return true }
                            return false
                        }
                        let first = await inner.next() ?? false
                        inner.cancelAll()
                        return first
                    }
                    guard replaced else { return }
                    logger.notice(
                        "new replication stream active; dropping the old one",
                        metadata: ["replication.stream": "\(serving.id)"])
                    try? await storage.setState(stream: serving.id, .stop)
                    try? await dropStoppedStreams()
                }
            }
            group.addTask {
                defer { takeoverContinuation.finish() }
                try await main.run()
            }
            try await group.waitForAll()
        }
        if !Task.isCancelled { try await dropStoppedStreams() }
    }

    private func dropStoppedStreams() async throws {
        for stream in try await storage.allStreams() where stream.state == .stop {
            do {
                try await storage.client.query(
                    """
                    SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
                    WHERE slot_name = \(stream.slotName) AND NOT active
                    """, logger: logger)
                try await storage.deleteStream(stream.id)
                logger.info("replication stream dropped", metadata: ["replication.stream": "\(stream.id)"])
            } catch {
                logger.warning(
                    "could not drop a stopped replication stream",
                    metadata: ["replication.stream": "\(stream.id)", "error": "\(PostgresErrorText.describe(error))"])
            }
        }
    }

    /// Tables the rules read that are synced in the config and published; the others are reported.
    private func replicatedTables(_ rules: SyncRules) async throws -> [SourceTable] {
        let rows = try await storage.client.query(
            "SELECT schemaname::text, tablename::text FROM pg_publication_tables WHERE pubname = \(config.sync.publication)",
            logger: logger)
        var published: Set<SourceTable> = []
        for try await (schema, name) in rows.decode((String, String).self) {
            published.insert(SourceTable(schema: schema, name: name))
        }
        var result: [SourceTable] = []
        var candidates: [SourceTable] = config.schema.syncedTables.map { SourceTable(schema: "public", name: $0.name) }
        candidates += published.sorted { $0.description < $1.description }
        for table in candidates where !result.contains(table) {
            guard rules.tables.contains(where: { $0.matches(schema: table.schema, table: table.name) }) else { continue }
            guard published.contains(table) else {
                logger.warning(
                    "table used by the sync rules is not in the publication; skipped",
                    metadata: ["replication.table": "\(table)", "sync.publication": "\(config.sync.publication)"])
                continue
            }
            result.append(table)
        }
        return result
    }
}
