import CLibPQ
import Foundation
import Logging
import StackPGOutput

#if canImport(Glibc)
    import Glibc
#endif

/// The thread that owns the `PGconn`: runs queued jobs, then (after START_REPLICATION) the streaming loop.
final class ReplicationWorker: @unchecked Sendable {
    /// Maximum time between standby status updates.
    // Status updates keep the walsender from timing out (wal_sender_timeout, 60 s by default).
    static let statusInterval: TimeInterval = 10
    /// Minimum time between status updates that only report a newer confirmed LSN.
    // After a confirm, acknowledge within a second so the slot releases WAL promptly.
    static let confirmInterval: TimeInterval = 1
    /// How long one `poll` waits for input.
    static let pollMilliseconds: Int32 = 100

    private let logger: Logger
    private let condition = NSCondition()
    private var jobs: [(OpaquePointer?) -> Void] = []
    private var stopRequested = false
    private var exited = false
    private var exitWaiters: [CheckedContinuation<Void, Never>] = []
    private var confirmed = LSN.zero
    private var connection: OpaquePointer?
    private var streaming = false
    /// `PGcancel` of the connection: interrupts a command from another thread.
    private var cancelHandle: OpaquePointer?
    private var jobRunning = false

    /// Creates the worker; `start()` launches its thread.
    init(logger: Logger) {
        self.logger = logger
    }

    /// Launches the replication thread.
    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "stack-replication"
        thread.start()
    }

    // MARK: - Called from any thread

    /// Connects on the replication thread.
    func connect(_ info: ReplicationConnInfo) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            let enqueued = enqueue { [self] _ in continuation.resume(with: Result { try open(info) }) }
            if !enqueued {
                continuation.resume(throwing: ReplicationConnectionError.notUsable("stopped"))
            }
        }
    }

    /// Runs `body` on the replication thread with the open connection; cancelling the task cancels the command on
    /// the server (`PQcancel`), so a command that waits (slot creation behind a long transaction) ends promptly.
    func perform<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        try await withTaskCancellationHandler {
            try await enqueueAndWait(body)
        } onCancel: {
            cancelCommand()
        }
    }

    private func enqueueAndWait<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws
        -> T
    {
        try await withCheckedThrowingContinuation { continuation in
            let enqueued = enqueue { connection in
                continuation.resume(
                    with: Result {
                        guard let connection else { throw ReplicationConnectionError.notUsable("not connected") }
                        return try body(connection)
                    })
            }
            if !enqueued {
                continuation.resume(throwing: ReplicationConnectionError.notUsable("stopped"))
            }
        }
    }

    /// Queues the streaming loop; it runs until stop or failure, then the thread exits.
    func enqueueStreaming(buffer: ReplicationEventBuffer) {
        let enqueued = enqueue { [self] connection in
            guard let connection else { return buffer.finish(.notUsable("not connected")) }
            condition.lock()
            streaming = true
            condition.unlock()
            stream(connection, buffer)
        }
        if !enqueued {
            buffer.finish(nil)
        }
    }

    /// Raises the confirmed LSN (never lowers it).
    func confirm(_ lsn: LSN) {
        condition.lock()
        confirmed = max(confirmed, lsn)
        condition.unlock()
    }

    /// The confirmed LSN.
    var confirmedLSN: LSN {
        condition.lock()
        defer { condition.unlock() }
        return confirmed
    }

    /// Asks the server to cancel the command a job is running (not the streaming loop: `stop()` ends that).
    func cancelCommand() {
        condition.lock()
        defer { condition.unlock() }
        guard jobRunning, !streaming, let cancelHandle else { return }
        var message = [CChar](repeating: 0, count: 256)
        if PQcancel(cancelHandle, &message, Int32(message.count)) == 0 {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            logger.debug("could not cancel a replication command", metadata: ["error": "\(text)"])
        }
    }

    /// Asks the thread to stop without waiting.
    func requestStop() {
        condition.lock()
        stopRequested = true
        condition.broadcast()
        condition.unlock()
    }

    /// Asks the thread to stop and waits until it has closed the connection and exited.
    func stop() async {
        requestStop()
        await withCheckedContinuation { continuation in
            condition.lock()
            if exited {
                condition.unlock()
                continuation.resume()
            } else {
                exitWaiters.append(continuation)
                condition.unlock()
            }
        }
    }

    // MARK: - Replication thread

    private func enqueue(_ job: @escaping (OpaquePointer?) -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopRequested, !exited else { return false }
        jobs.append(job)
        condition.broadcast()
        return true
    }

    private var shouldStop: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopRequested
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopRequested {
                condition.wait()
            }
            if stopRequested {
                let pending = jobs
                jobs.removeAll()
                condition.unlock()
                // Jobs still queued learn that the connection is gone instead of hanging.
                for job in pending { job(nil) }
                break
            }
            let job = jobs.removeFirst()
            jobRunning = true
            condition.unlock()
            job(connection)
            condition.lock()
            jobRunning = false
            condition.unlock()
        }
        condition.lock()
        if let cancelHandle { PQfreeCancel(cancelHandle) }
        cancelHandle = nil
        condition.unlock()
        if let connection {
            PQfinish(connection)
            self.connection = nil
        }
        condition.lock()
        exited = true
        let waiters = exitWaiters
        exitWaiters.removeAll()
        condition.unlock()
        for waiter in waiters { waiter.resume() }
    }

    private func open(_ info: ReplicationConnInfo) throws {
        let connection: OpaquePointer
        do throws(ReplicationConnInfo.ConnectFailure) {
            connection = try info.connect()
        } catch {
            throw ReplicationConnectionError.connectFailed(error.detail)
        }
        self.connection = connection
        condition.lock()
        cancelHandle = PQgetCancel(connection)
        condition.unlock()
    }

    private func stream(_ connection: OpaquePointer, _ buffer: ReplicationEventBuffer) {
        var session = StreamingSession(connection: connection, logger: logger, worker: self)
        let error = session.run(buffer)
        buffer.finish(error)
        // After an error the connection is unusable; after a clean stop the thread exits anyway.
        requestStop()
    }

    /// The state the streaming loop reads from the worker.
    fileprivate func snapshot() -> (stop: Bool, confirmed: LSN) {
        condition.lock()
        defer { condition.unlock() }
        return (stopRequested, confirmed)
    }
}

/// The CopyBoth loop: read, decode, buffer (with backpressure) and acknowledge.
private struct StreamingSession {
    let connection: OpaquePointer
    let logger: Logger
    let worker: ReplicationWorker
    var lastStatusTime = Date.distantPast
    var lastStatusLSN = LSN.zero

    init(connection: OpaquePointer, logger: Logger, worker: ReplicationWorker) {
        self.connection = connection
        self.logger = logger
        self.worker = worker
    }

    /// Runs until stop (nil) or failure (the error).
    mutating func run(_ buffer: ReplicationEventBuffer) -> ReplicationConnectionError? {
        guard PQsetnonblocking(connection, 1) == 0 else {
            return .connectionLost("could not switch to non-blocking mode: \(PGResult.connectionMessage(connection))")
        }
        do {
            while true {
                if worker.snapshot().stop {
                    try finishCopy()
                    return nil
                }
                var pointer: UnsafeMutablePointer<CChar>?
                let length = PQgetCopyData(connection, &pointer, 1)
                if length > 0, let pointer {
                    let bytes = Array(UnsafeRawBufferPointer(start: pointer, count: Int(length)))
                    PQfreemem(pointer)
                    guard try handle(bytes, buffer) else {
                        try finishCopy()
                        return nil
                    }
                    try sendStatusIfDue(force: false)
                } else if length == 0 {
                    try sendStatusIfDue(force: false)
                    try waitForInput()
                } else if length == -1 {
                    return serverEndedCopy()
                } else {
                    return .connectionLost(PGResult.connectionMessage(connection))
                }
            }
        } catch let error as ReplicationConnectionError {
            return error
        } catch {
            return .undecodable(error)
        }
    }

    /// Decodes one CopyData message; returns false when the consumer side asked to stop while the buffer was full.
    private mutating func handle(_ bytes: [UInt8], _ buffer: ReplicationEventBuffer) throws -> Bool {
        let event: ReplicationEvent
        switch try ReplicationMessage.decode(bytes) {
        case .xLogData(let data):
            event = .message(try PGOutputDecoder.decode(data.payload), walStart: data.walStart, walEnd: data.walEnd)
        case .keepalive(let keepalive):
            if keepalive.replyRequested {
                try sendStatusIfDue(force: true)
            }
            event = .keepalive(keepalive)
        }
        var failure: Error?
        let pushed = buffer.push(event) {
            // Backpressure: the consumer lags, so nothing is read; keep the walsender alive meanwhile.
            do {
                try sendStatusIfDue(force: false)
            } catch {
                failure = error
                return false
            }
            return !worker.snapshot().stop
        }
        if let failure { throw failure }
        return pushed
    }

    private func waitForInput() throws {
        var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, ReplicationWorker.pollMilliseconds)
        guard ready >= 0 || errno == EINTR else {
            throw ReplicationConnectionError.connectionLost("poll failed with errno \(errno)")
        }
        guard PQconsumeInput(connection) == 1 else {
            throw ReplicationConnectionError.connectionLost(PGResult.connectionMessage(connection))
        }
    }

    // Only the consumer-confirmed LSN is acknowledged (write = flush = apply), never merely received WAL: after a
    // crash the slot must replay everything that was not durably written to bucket storage.
    private mutating func sendStatusIfDue(force: Bool) throws {
        let confirmed = worker.snapshot().confirmed
        let elapsed = Date().timeIntervalSince(lastStatusTime)
        let due =
            force || elapsed >= ReplicationWorker.statusInterval
            || (confirmed > lastStatusLSN && elapsed >= ReplicationWorker.confirmInterval)
        guard due else { return }
        let update = StandbyStatusUpdate(
            written: confirmed, flushed: confirmed, applied: confirmed,
            clientTime: PostgresTime.microseconds(since: Date()))
        let bytes = update.encoded()
        let sent = bytes.withUnsafeBufferPointer { pointer in
            pointer.withMemoryRebound(to: CChar.self) { PQputCopyData(connection, $0.baseAddress, Int32($0.count)) }
        }
        guard sent == 1 else {
            throw ReplicationConnectionError.connectionLost(PGResult.connectionMessage(connection))
        }
        try flush()
        lastStatusTime = Date()
        lastStatusLSN = confirmed
    }

    private func flush() throws {
        while true {
            let result = PQflush(connection)
            if result == 0 { return }
            guard result == 1 else {
                throw ReplicationConnectionError.connectionLost(PGResult.connectionMessage(connection))
            }
            var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLOUT | POLLIN), revents: 0)
            _ = poll(&descriptor, 1, ReplicationWorker.pollMilliseconds)
            if descriptor.revents & Int16(POLLIN) != 0 {
                guard PQconsumeInput(connection) == 1 else {
                    throw ReplicationConnectionError.connectionLost(PGResult.connectionMessage(connection))
                }
            }
        }
    }

    /// Clean stop: last acknowledgement, CopyDone, then drain until the server finishes the command, which releases
    /// the slot before the connection closes (so a new stream can take the slot right away).
    private mutating func finishCopy() throws {
        try sendStatusIfDue(force: true)
        guard PQputCopyEnd(connection, nil) == 1 else {
            throw ReplicationConnectionError.connectionLost(PGResult.connectionMessage(connection))
        }
        try flush()
        if let error = drainResults(until: Date(timeIntervalSinceNow: 5)) {
            // The stream is ending anyway; the connection is closed next.
            logger.debug("replication command ended with an error on stop", metadata: ["error": "\(error)"])
        }
        logger.debug("replication streaming stopped", metadata: ["replication.lsn": "\(lastStatusLSN)"])
    }

    /// The server ended the COPY on its own: report its error (slot dropped, publication missing, terminated, …).
    private func serverEndedCopy() -> ReplicationConnectionError {
        drainResults(until: Date(timeIntervalSinceNow: 5))
            ?? .connectionLost("the server ended the replication stream")
    }

    /// Reads the results that end the replication command; returns the first error. Bounded by `deadline` and by
    /// the copy state: `PQgetResult` answers `PGRES_COPY_*` again and again while a copy is open, and blocks without
    /// a timeout while the server is silent, so a plain `while PQgetResult != nil` loop can hang the thread for good
    /// (then nothing reconnects and nothing is logged). Each copy state is answered so that it changes: the server's
    /// CopyDone (`PGRES_COPY_IN`) gets ours, copy data still arriving after ours (`PGRES_COPY_OUT`) is discarded.
    private func drainResults(until deadline: Date) -> ReplicationConnectionError? {
        var first: ReplicationConnectionError?
        do {
            while Date() < deadline {
                if PQisBusy(connection) == 1 {
                    try waitForInput()
                    continue
                }
                guard let pointer = PQgetResult(connection) else { return first }
                let status = PQresultStatus(pointer)
                switch status {
                case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
                    PQclear(pointer)
                case PGRES_COPY_IN, PGRES_COPY_BOTH:
                    PQclear(pointer)
                    guard PQputCopyEnd(connection, nil) == 1 else {
                        return first ?? .connectionLost(PGResult.connectionMessage(connection))
                    }
                    try flush()
                case PGRES_COPY_OUT:
                    PQclear(pointer)
                    var data: UnsafeMutablePointer<CChar>?
                    let length = PQgetCopyData(connection, &data, 1)
                    if let data { PQfreemem(data) }
                    if length == 0 {
                        try waitForInput()
                    } else if length < -1 {
                        return first ?? .connectionLost(PGResult.connectionMessage(connection))
                    }
                default:
                    let result = PGResultBox(pointer)
                    if first == nil { first = result.error() } else { PQclear(pointer) }
                }
            }
        } catch let failure as ReplicationConnectionError {
            return first ?? failure
        } catch {
            return first ?? .connectionLost("\(error)")
        }
        return first ?? .connectionLost("the server did not finish the replication command within 5 seconds")
    }
}

/// Reads the error of a result and clears it.
private struct PGResultBox {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    func error() -> ReplicationConnectionError {
        defer { PQclear(pointer) }
        let state = PQresultErrorField(pointer, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
        let message = PQresultErrorField(pointer, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
        return .commandFailed("START_REPLICATION", detail: message ?? "stream ended", sqlState: state)
    }
}
