import GRDB
import Logging
import StackCore
import StackProtocol

/// Uploads the CRUD queue one transaction at a time with the connector's rules, then requests a write checkpoint.
public struct UploadQueue: Sendable {
    /// The device database.
    public let database: ClientDatabase
    /// The HTTP connector.
    public let connector: StackConnector
    /// Backoff for retryable failures.
    public var retry: RetryPolicy
    /// Logger (quiet by default).
    public var logger: Logger

    /// Creates the queue driver.
    public init(database: ClientDatabase, connector: StackConnector, retry: RetryPolicy = RetryPolicy(), logger: Logger) {
        self.database = database
        self.connector = connector
        self.retry = retry
        self.logger = logger
    }

    /// The result of draining the queue.
    public struct Summary: Sendable, Equatable {
        /// Transactions the server processed (applied or rejected in the body).
        public var completed = 0
        /// Rejections recorded (from 2xx bodies and other 4xx responses).
        public var rejected = 0
        /// Whether the queue is empty now.
        public var drained = false
        /// The write checkpoint requested after draining, if one was.
        public var writeCheckpoint: OpID?
    }

    /// Uploads until the queue is empty (or retries run out), refreshing credentials on 401 via `refresh`.
    public func drain(
        credentials initial: SyncCredentials, refresh: @Sendable () async throws -> SyncCredentials
    ) async throws -> Summary {
        var credentials = initial
        var summary = Summary()
        let clientID = try database.clientID()
        var attempt = 0
        var refreshed = false
        while let transaction = try database.read({ try CrudQueue.nextTransaction($0) }) {
            switch await connector.upload(transaction, clientID: clientID, credentials: credentials) {
            case .processed(let rejected):
                try complete(transaction, recording: rejected)
                summary.completed += 1
                summary.rejected += rejected.count
                attempt = 0
                refreshed = false
            case .refused(let status, let message):
                let record = UploadRejectionRecord(
                    opID: transaction.uploadOpID, opIndex: nil, status: status, code: "HTTP_\(status)", message: message)
                try complete(transaction, recording: [record])
                summary.completed += 1
                summary.rejected += 1
                attempt = 0
            case .unauthorized:
                // One refresh per transaction: a second 401 means the session itself is gone.
                guard !refreshed else { throw ClientError.unauthorized(url: connector.apiBaseURL + "/api/powersync/upload") }
                credentials = try await refresh()
                refreshed = true
            case .retry(let detail):
                attempt += 1
                logger.debug("upload failed, will retry", metadata: ["upload.attempt": "\(attempt)", "error": "\(detail)"])
                guard attempt < retry.maxAttempts else { return summary }
                try await Task.sleep(for: retry.delay(attempt: attempt))
            }
        }
        summary.drained = true
        summary.writeCheckpoint = try await requestWriteCheckpoint(credentials: credentials)
        return summary
    }

    /// After the queue drains: ask the sync service for a write checkpoint and make it the apply target,
    /// unless new writes arrived meanwhile (they will need their own checkpoint).
    func requestWriteCheckpoint(credentials: SyncCredentials) async throws -> OpID? {
        let (pending, sequence, target) = try database.read { db in
            (
                try CrudQueue.count(db), try CrudQueue.sequence(db),
                try ClientDatabase.kv(db, ClientKV.targetWriteCheckpoint)
            )
        }
        guard pending == 0, target == String(Int64.max) else { return nil }
        let clientID = try database.clientID()
        let checkpoint = try await connector.requestWriteCheckpoint(clientID: clientID, credentials: credentials)
        try await database.queue.write { db in
            guard try CrudQueue.count(db) == 0, try CrudQueue.sequence(db) == sequence else { return }
            try ClientDatabase.setKV(db, ClientKV.targetWriteCheckpoint, checkpoint.value)
        }
        return checkpoint
    }

    private func complete(_ transaction: CrudTransaction, recording rejections: [UploadRejectionRecord]) throws {
        try database.queue.write { db in
            try CrudQueue.complete(db, transaction)
            for rejection in rejections {
                let crud = transaction.entries.map { "\($0.operation.op.rawValue) \($0.operation.table) \($0.operation.id)" }
                try db.execute(
                    sql: """
                        INSERT INTO ps_rejected(op_id, op_index, status, code, message, crud, created_at)
                          VALUES (?, ?, ?, ?, ?, ?, datetime('now'))
                        """,
                    arguments: [
                        rejection.opID, rejection.opIndex, rejection.status, rejection.code, rejection.message,
                        crud.joined(separator: "; "),
                    ])
            }
        }
    }
}
