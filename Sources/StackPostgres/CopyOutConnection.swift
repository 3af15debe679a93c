import CLibPQ
import Dispatch
import Foundation
import StackCore

/// A libpq connection that reads query results with `COPY (…) TO STDOUT`, on a thread of its own.
///
/// Reading a large table through PostgresNIO decodes every row on the event loop and again in the reading task;
/// a snapshot read this way hands over each chunk as one block of COPY text (`CopyTextReader` splits it), at a
/// fraction of that CPU.
public final class CopyOutConnection: @unchecked Sendable {
    /// The open connection; used only on `queue`, nil once closed.
    private var connection: OpaquePointer?
    /// Interrupts a running COPY from another thread; guarded by `lock`.
    private var cancelHandle: OpaquePointer?
    private let lock = NSLock()
    private let queue = DispatchQueue(label: "stack-copy-out")

    private init(connection: OpaquePointer) {
        self.connection = connection
        cancelHandle = PQgetCancel(connection)
    }

    /// Connects to `url` (a postgres:// URL; query keys pass through to libpq).
    public static func connect(url: String, applicationName: String = "stack-snapshot") async throws
        -> CopyOutConnection
    {
        let info = try ReplicationConnInfo(url: url, applicationName: applicationName, replication: false)
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result {
                        do throws(ReplicationConnInfo.ConnectFailure) {
                            return CopyOutConnection(connection: try info.connect())
                        } catch {
                            throw StackError(
                                "STACK-R043",
                                "Could not connect to read a table: \(error.detail). Check that Postgres runs and "
                                    + "that the URL is right.")
                        }
                    })
            }
        }
    }

    /// Runs `COPY (query) TO STDOUT` and returns the rows' text; cancelling the task cancels the COPY.
    ///
    /// COPY takes no bind parameters: `query` receives a function that quotes a value as a SQL literal (libpq's
    /// `PQescapeLiteral`), the only way a value may enter the statement; the rest must come from code and quoted
    /// identifiers.
    public func copyOut(_ query: @escaping @Sendable (_ literal: (String) throws -> String) throws -> String)
        async throws -> [UInt8]
    {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                queue.async {
                    continuation.resume(
                        with: Result {
                            guard let connection = self.connection else {
                                throw StackError("STACK-R044", "Reading a table failed: the connection is closed.")
                            }
                            return try self.runCopy(try query { try Self.literal($0, on: connection) })
                        })
                }
            }
        } onCancel: {
            lock.withLock {
                guard let cancelHandle else { return }
                var message = [CChar](repeating: 0, count: 256)
                _ = PQcancel(cancelHandle, &message, Int32(message.count))
            }
        }
    }

    /// Closes the connection (after a COPY still running).
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.finish()
                continuation.resume()
            }
        }
    }

    deinit {
        finish()
    }

    private func finish() {
        lock.withLock {
            if let cancelHandle { PQfreeCancel(cancelHandle) }
            cancelHandle = nil
        }
        if let connection { PQfinish(connection) }
        connection = nil
    }

    private static func literal(_ value: String, on connection: OpaquePointer) throws -> String {
        let length = value.utf8.count
        guard let quoted = PQescapeLiteral(connection, value, length) else {
            throw failed(PGResult.connectionMessage(connection))
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    private func runCopy(_ query: String) throws -> [UInt8] {
        guard let connection else {
            throw StackError("STACK-R044", "Reading a table failed: the connection is closed.")
        }
        guard let started = PQexec(connection, "COPY (\(query)) TO STDOUT") else {
            throw Self.failed(PGResult.connectionMessage(connection))
        }
        let result = PGResult(started)
        guard PQresultStatus(started) == PGRES_COPY_OUT else { throw Self.failed(result) }
        var bytes: [UInt8] = []
        while true {
            var row: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(connection, &row, 0)
            guard length > 0, let row else { break }
            row.withMemoryRebound(to: UInt8.self, capacity: Int(length)) { pointer in
                bytes.append(contentsOf: UnsafeBufferPointer(start: pointer, count: Int(length)))
            }
            PQfreemem(row)
        }
        // -1: the COPY is done, and its outcome is the next result; -2: the connection failed.
        var failure: Error?
        while let next = PQgetResult(connection) {
            let owner = PGResult(next)
            if failure == nil, PQresultStatus(next) != PGRES_COMMAND_OK { failure = Self.failed(owner) }
        }
        if let failure { throw failure }
        if PQstatus(connection) != CONNECTION_OK { throw Self.failed(PGResult.connectionMessage(connection)) }
        return bytes
    }

    private static func failed(_ result: PGResult) -> StackError {
        let primary = PQresultErrorField(result.pointer, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
        let state = PQresultErrorField(result.pointer, Int32(UInt8(ascii: "C"))).map {
            " (SQLSTATE \(String(cString: $0)))"
        }
        return failed((primary ?? String(cString: PQresStatus(PQresultStatus(result.pointer)))) + (state ?? ""))
    }

    private static func failed(_ detail: String) -> StackError {
        StackError("STACK-R044", "Reading a table failed: \(detail).")
    }
}
