import Foundation
import Logging
import StackCore
import StackProtocol

/// A device's sync loop: credentials, uploads, the stream, reconnects with backoff.
public struct SyncClient: Sendable {
    /// The device database.
    public let database: ClientDatabase
    /// The HTTP connector.
    public let connector: StackConnector
    /// Backoff for uploads and reconnects.
    public var retry: RetryPolicy
    /// How often `watch` looks for local writes made by other processes (its own process wakes it at once).
    public var uploadPollInterval: Duration = .milliseconds(200)
    /// Logger (quiet by default).
    public var logger: Logger

    /// Creates a sync client.
    public init(database: ClientDatabase, connector: StackConnector, retry: RetryPolicy = RetryPolicy(), logger: Logger)
    {
        self.database = database
        self.connector = connector
        self.retry = retry
        self.logger = logger
    }

    var storage: SyncStorage { SyncStorage(database: database) }
    var uploads: UploadQueue { UploadQueue(database: database, connector: connector, retry: retry, logger: logger) }

    /// `fetchCredentials` with the stored session; a different user than the stored owner wipes synced data.
    public func fetchCredentials() async throws -> SyncCredentials {
        guard let account = try database.read({ try DeviceAccount.load($0) }), let session = account.sessionToken else {
            throw ClientError.notSignedIn
        }
        let credentials = try await connector.fetchCredentials(sessionToken: session)
        if credentials.userID != account.userID {
            try DeviceAccount.signIn(
                database, account: DeviceAccount(userID: credentials.userID, email: nil, sessionToken: session))
        }
        return credentials
    }

    /// What `syncOnce` did.
    public struct Report: Sendable, Equatable {
        /// Upload results.
        public var uploads = UploadQueue.Summary()
        /// The checkpoint applied last, if any.
        public var appliedCheckpoint: OpID?
        /// Rows written to the tables.
        public var rowsApplied = 0
        /// Whether data is still waiting for uploads to go through.
        public var blockedByUploads = false
    }

    /// Uploads pending writes, then downloads until a checkpoint is applied (or cannot be, because uploads are stuck).
    public func syncOnce(onEvent: @escaping @Sendable (SyncEvent) -> Void = { _ in }) async throws -> Report {
        try ensureOnline()
        var report = Report()
        var credentials = try await fetchCredentials()
        report.uploads = try await uploads.drain(credentials: credentials, refresh: { try await fetchCredentials() })
        onEvent(.uploaded(report.uploads))
        var attempt = 0
        while true {
            do {
                let engine = try SyncEngine(storage: storage) { event in
                    onEvent(event)
                }
                let end = try await stream(credentials: credentials, engine: engine, onEvent: onEvent) { event in
                    guard case .checkpoint(let request, let result, let changes) = event, request.priority == nil else {
                        return false
                    }
                    report.rowsApplied += changes.count
                    if result == .applied {
                        report.appliedCheckpoint = request.lastOpID
                        return true
                    }
                    let pending = (try? database.read { try CrudQueue.count($0) }) ?? 0
                    report.blockedByUploads = pending > 0
                    return pending > 0
                }
                switch end {
                case .stopped: return report
                case .reconnect(let reason):
                    onEvent(.disconnected(reason: "\(reason)"))
                    if reason.refreshCredentials { credentials = try await fetchCredentials() }
                case .closed:
                    onEvent(.disconnected(reason: "stream closed"))
                }
            } catch let error as ClientError {
                if case .unauthorized = error { credentials = try await fetchCredentials() }
                attempt += 1
                guard attempt < retry.maxAttempts else { throw error }
                onEvent(.disconnected(reason: error.description))
                try await Task.sleep(for: retry.delay(attempt: attempt))
            }
        }
    }

    /// Stays connected: uploads local writes as they appear and applies checkpoints as they arrive, until cancelled.
    public func watch(onEvent: @escaping @Sendable (SyncEvent) -> Void) async throws {
        try ensureOnline()
        try await withThrowingTaskGroup(of: Void.self) { group in
            let engineBox = EngineBox()
            let (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            let localWrites = database.localWrites.wakeups()
            group.addTask {
                for await _ in localWrites { wake.yield() }
            }
            group.addTask {
                while true {
                    wake.yield()
                    try await Task.sleep(for: self.uploadPollInterval)
                }
            }
            group.addTask { try await self.uploadLoop(wakeups: wakeups, engineBox: engineBox, onEvent: onEvent) }
            group.addTask { try await self.streamLoop(engineBox: engineBox, onEvent: onEvent) }
            try await group.next()
            group.cancelAll()
        }
    }

    private func ensureOnline() throws {
        if try database.read({ try ClientDatabase.kv($0, ClientKV.offline) }) == "1" { throw ClientError.offline }
    }

    private func uploadLoop(
        wakeups: AsyncStream<Void>, engineBox: EngineBox, onEvent: @escaping @Sendable (SyncEvent) -> Void
    ) async throws {
        for await _ in wakeups {
            try Task.checkCancellation()
            let pending = try database.read { db in
                try CrudQueue.count(db) > 0
                    || ClientDatabase.kv(db, ClientKV.targetWriteCheckpoint) == String(Int64.max)
            }
            if pending {
                do {
                    let credentials = try await fetchCredentials()
                    let summary = try await uploads.drain(
                        credentials: credentials, refresh: { try await fetchCredentials() })
                    onEvent(.uploaded(summary))
                    if summary.drained { try await engineBox.engine?.uploadFinished() }
                } catch let error as ClientError {
                    logger.debug("upload round failed", metadata: ["error": "\(error.code)"])
                    try await Task.sleep(for: retry.delay(attempt: 2))
                }
            }
        }
    }

    private func streamLoop(engineBox: EngineBox, onEvent: @escaping @Sendable (SyncEvent) -> Void) async throws {
        var attempt = 0
        while !Task.isCancelled {
            do {
                let credentials = try await fetchCredentials()
                let engine = try SyncEngine(storage: storage, onEvent: onEvent)
                await engineBox.set(engine)
                let end = try await stream(credentials: credentials, engine: engine, onEvent: onEvent) { _ in
                    attempt = 0
                    return false
                }
                onEvent(.disconnected(reason: "\(end)"))
            } catch let error as ClientError {
                // Only the user can fix these: stop instead of retrying forever.
                if error == .notSignedIn || error == .offline { throw error }
                attempt += 1
                onEvent(.disconnected(reason: error.description))
                try await Task.sleep(for: retry.delay(attempt: attempt))
            }
        }
    }

    enum StreamEnd: Sendable, Equatable {
        case stopped
        case reconnect(ReconnectReason)
        case closed
    }

    /// Decoded lines the reading task may be ahead of the storing task; data lines queued together are stored in
    /// one transaction.
    static let pipelineDepth = 8

    /// Runs one stream until `stop` says so, the engine asks to reconnect, or the server closes it.
    ///
    /// One task reads and decodes lines while this one stores them: the download and the JSON decoding of the
    /// next lines overlap with SQLite writing the current one. The bounded queue between them keeps backpressure
    /// (a slow disk slows the reading, and so the server); lines read ahead of a stop are dropped unstored, which
    /// is safe because positions only advance with what was stored.
    func stream(
        credentials: SyncCredentials, engine: SyncEngine, onEvent: @escaping @Sendable (SyncEvent) -> Void,
        stop: (SyncEvent) -> Bool
    ) async throws -> StreamEnd {
        let request = StreamingSyncRequest(
            buckets: try storage.bucketPositions(), clientID: try database.clientID())
        let lines = try await connector.openStream(request, credentials: credentials)
        onEvent(.connected)
        let queue = AsyncBoundedQueue<SyncLine>(capacity: Self.pipelineDepth)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await line in lines { try await queue.send(line) }
                    queue.finish()
                } catch {
                    queue.finish(throwing: error)
                }
            }
            defer {
                queue.close()
                group.cancelAll()
            }
            while let line = try await queue.next() {
                var lines = [line]
                if case .data = line {
                    lines += queue.takeQueued(limit: Self.pipelineDepth) { if case .data = $0 { true } else { false } }
                }
                if let reason = try await engine.receive(lines) { return .reconnect(reason) }
                if let event = await engine.takeFullCheckpointEvent(), stop(event) { return .stopped }
            }
            return .closed
        }
    }
}

/// Lets the upload task reach the engine of the current stream.
actor EngineBox {
    var engine: SyncEngine?
    func set(_ engine: SyncEngine) { self.engine = engine }
}
