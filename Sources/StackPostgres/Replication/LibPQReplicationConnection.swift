import CLibPQ
import Foundation
import Logging
import StackPGOutput

/// A `replication=database` libpq connection owned by one dedicated thread (a `PGconn` is not thread-safe).
///
/// Commands run on that thread and are awaited; `startReplication` turns the thread into the streaming loop, which
/// answers keepalives and acknowledges only what the consumer passed to `confirm(_:)`.
public final class LibPQReplicationConnection: @unchecked Sendable {
    private let worker: ReplicationWorker
    private let logger: Logger

    private init(worker: ReplicationWorker, logger: Logger) {
        self.worker = worker
        self.logger = logger
    }

    deinit {
        worker.requestStop()
    }

    /// Opens the connection on a new thread; the URL's password is used but never logged.
    public static func connect(url: String, logger: Logger) async throws -> LibPQReplicationConnection {
        let info = try ReplicationConnInfo(url: url)
        let worker = ReplicationWorker(logger: logger)
        worker.start()
        let connection = LibPQReplicationConnection(worker: worker, logger: logger)
        do {
            try await worker.connect(info)
        } catch {
            await worker.stop()
            throw error
        }
        logger.debug("replication connection open", metadata: ["postgres.server": "\(info.logDescription)"])
        return connection
    }

    /// Runs `IDENTIFY_SYSTEM`.
    public func identifySystem() async throws -> ReplicationSystemIdentity {
        try await worker.perform { connection in
            let result = try PGResult.exec(connection, ReplicationSlotCommands.identifySystem, expect: PGRES_TUPLES_OK)
            guard result.rows == 1, let position = LSN(result.value(0, 2) ?? "") else {
                throw ReplicationConnectionError.commandFailed(
                    "IDENTIFY_SYSTEM", detail: "unexpected answer with \(result.rows) row(s)", sqlState: nil)
            }
            return ReplicationSystemIdentity(
                systemID: result.value(0, 0) ?? "", timeline: Int(result.value(0, 1) ?? "") ?? 0,
                xLogPosition: position, database: result.value(0, 3))
        }
    }

    /// Runs `CREATE_REPLICATION_SLOT <slot> LOGICAL pgoutput`; returns the slot's consistent point.
    public func createSlot(_ slot: String) async throws -> LSN {
        let command = try ReplicationSlotCommands.createSlot(slot)
        return try await worker.perform { connection in
            let result = try PGResult.exec(connection, command, expect: PGRES_TUPLES_OK)
            guard result.rows == 1, let lsn = LSN(result.value(0, 1) ?? "") else {
                throw ReplicationConnectionError.commandFailed(
                    "CREATE_REPLICATION_SLOT", detail: "no consistent point in the answer", sqlState: nil)
            }
            return lsn
        }
    }

    /// Runs `DROP_REPLICATION_SLOT <slot> [WAIT]`.
    public func dropSlot(_ slot: String, wait: Bool = true) async throws {
        let command = try ReplicationSlotCommands.dropSlot(slot, wait: wait)
        try await worker.perform { connection in
            _ = try PGResult.exec(connection, command, expect: PGRES_COMMAND_OK)
        }
    }

    /// Runs `START_REPLICATION` (pgoutput v1) and streams until `stop()`; `from: .zero` resumes at the slot's
    /// confirmed position. At most `bufferCapacity` events wait for the consumer; then the thread stops reading.
    /// The connection belongs to the stream from now on: when the stream ends, the connection is closed.
    public func startReplication(
        slot: String, publications: [String], from lsn: LSN = .zero, messages: Bool = true,
        bufferCapacity: Int = 4096
    ) async throws -> ReplicationEventStream {
        let command = try ReplicationSlotCommands.startReplication(
            slot: slot, publications: publications, from: lsn, messages: messages)
        let buffer = ReplicationEventBuffer(capacity: bufferCapacity)
        try await worker.perform { connection in
            _ = try PGResult.exec(connection, command, expect: PGRES_COPY_BOTH)
        }
        logger.debug(
            "replication streaming started",
            metadata: ["replication.slot": "\(slot)", "replication.lsn": "\(lsn)"])
        worker.enqueueStreaming(buffer: buffer)
        return ReplicationEventStream(buffer: buffer)
    }

    /// Records that everything up to `lsn` is durably processed; the next status update acknowledges it.
    /// Never moves backwards.
    public func confirm(_ lsn: LSN) {
        worker.confirm(lsn)
    }

    /// The highest LSN passed to `confirm(_:)`.
    public var confirmedLSN: LSN { worker.confirmedLSN }

    /// Ends streaming (sending a last status update with the confirmed LSN), closes the connection and waits for the
    /// thread to exit. Idempotent.
    public func stop() async {
        await worker.stop()
    }
}
