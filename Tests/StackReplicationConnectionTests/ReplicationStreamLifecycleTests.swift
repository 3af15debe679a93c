import Foundation
import Logging
import StackPGOutput
@testable import StackPostgres
import StackTesting
import Testing

@Suite struct ReplicationStreamLifecycleTests {
    let logger = Logger(label: "test.replication")

    private func prepare(_ prefix: String) async throws -> (TestDatabase, SQLSession, String) {
        let database = try await TestPostgres.shared().makeDatabase(prefix: prefix)
        let session = try SQLSession(url: database.url)
        try session.execute(
            "CREATE TABLE items (id int PRIMARY KEY, name text); CREATE PUBLICATION pub FOR TABLE items")
        return (database, session, "slot_\(database.name)")
    }

    @Test func stopReturnsPromptlyWhileTheConsumerLags() async throws {
        let (database, session, slot) = try await prepare("lag")
        let connection = try await LibPQReplicationConnection.connect(url: database.url, logger: logger)
        _ = try await connection.createSlot(slot)
        try session.execute("INSERT INTO items SELECT g, 'x' FROM generate_series(1, 2000) g")
        let stream = try await connection.startReplication(slot: slot, publications: ["pub"], bufferCapacity: 4)
        // Nobody reads: the thread fills the 4-event buffer and must stop reading. On a loaded machine the walsender
        // may take seconds to send the first frame, so wait for the buffer to fill rather than for a fixed time.
        let deadline = ContinuousClock.now + .seconds(30)
        while stream.buffer.count < 4, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(stream.buffer.count == 4, "the replication thread never filled its buffer")
        let clock = ContinuousClock()
        let elapsed = await clock.measure { await connection.stop() }
        #expect(elapsed < .seconds(3))
        var iterator = stream.makeAsyncIterator()
        var events = 0
        while try await iterator.next() != nil { events += 1 }
        #expect(events == 4, "stop delivers what was buffered, and nothing more was read")
        try session.execute("SELECT pg_drop_replication_slot('\(slot)')")
    }

    @Test func cancellingASlotCreationThatWaitsForATransactionEndsIt() async throws {
        let (database, session, slot) = try await prepare("cancel")
        // A transaction with an xid: a new logical slot cannot reach a consistent point until it ends.
        let blocker = try SQLSession(url: database.url)
        try blocker.execute("BEGIN; SELECT pg_current_xact_id()")
        let connection = try await LibPQReplicationConnection.connect(url: database.url, logger: logger)
        let ended = Box()
        let creation = Task {
            do {
                _ = try await connection.createSlot(slot)
            } catch {
                ended.set("\(error)")
            }
        }
        let waiting = """
            SELECT count(*)::text FROM pg_stat_activity WHERE backend_type = 'walsender'
              AND wait_event_type = 'Lock' AND datname = current_database()
            """
        let deadline = ContinuousClock.now + .seconds(60)
        while try session.value(waiting) != "1", ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try session.value(waiting) == "1", "the slot creation never waited for the transaction")
        creation.cancel()
        while ended.value == nil, ContinuousClock.now < deadline + .seconds(60) {
            try await Task.sleep(for: .milliseconds(50))
        }
        // Ended while the transaction is still open: the cancel reached the server.
        #expect(ended.value?.contains("cancel") == true, "\(String(describing: ended.value))")
        try blocker.execute("COMMIT")
        _ = await creation.result
        await connection.stop()
        let left = try session.value("SELECT count(*)::text FROM pg_replication_slots WHERE slot_name = '\(slot)'")
        #expect(left == "0", "the cancelled creation left its slot behind")
    }

    @Test func terminatedWalsenderEndsTheStreamWithATypedError() async throws {
        let (database, session, slot) = try await prepare("kill")
        let connection = try await LibPQReplicationConnection.connect(url: database.url, logger: logger)
        _ = try await connection.createSlot(slot)
        let stream = try await connection.startReplication(slot: slot, publications: ["pub"])
        try session.execute(
            "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '\(slot)'")
        var iterator = stream.makeAsyncIterator()
        do {
            while try await iterator.next() != nil {}
            Issue.record("the stream ended without an error")
        } catch let error as ReplicationConnectionError {
            #expect(["STACK-R039", "STACK-R032"].contains(error.code), "\(error)")
            #expect(!error.message.isEmpty)
        }
        await connection.stop()
        // The walsender is gone, so the slot is free again; drop it once Postgres marks it inactive.
        for _ in 0..<50 {
            if (try? session.execute("SELECT pg_drop_replication_slot('\(slot)')")) != nil { break }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    @Test func endToEndWithConcurrentWriters() async throws {
        let (database, session, slot) = try await prepare("e2e")
        let connection = try await LibPQReplicationConnection.connect(url: database.url, logger: logger)
        _ = try await connection.createSlot(slot)
        let stream = try await connection.startReplication(slot: slot, publications: ["pub"])
        let total = 50_000
        let perTransaction = 100
        let url = database.url
        let clock = ContinuousClock()
        let started = clock.now
        // The writer runs on its own thread: libpq calls block and must not hold a cooperative-pool thread.
        let writer = Thread {
            guard let writer = try? SQLSession(url: url) else { return }
            for start in stride(from: 1, through: total, by: perTransaction) {
                try? writer.execute(
                    "INSERT INTO items SELECT g, 'name ' || g "
                        + "FROM generate_series(\(start), \(start + perTransaction - 1)) g"
                )
            }
        }
        writer.start()
        var assembler = TransactionAssembler()
        var rows = 0
        var transactions = 0
        for try await event in stream {
            guard case .message(let message, _, _) = event,
                case .transaction(let transaction)? = try assembler.feed(message)
            else { continue }
            rows += transaction.changes.count
            transactions += 1
            connection.confirm(transaction.endLSN)
            if rows >= total { break }
        }
        let elapsed = clock.now - started
        #expect(rows == total)
        #expect(transactions == total / perTransaction)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            "end-to-end concurrent: \(rows) rows in \(transactions) transactions written and received in "
                + "\(String(format: "%.2f", seconds)) s = \(Int(Double(rows) / seconds)) rows/s")
        await connection.stop()
        try session.execute("SELECT pg_drop_replication_slot('\(slot)')")
    }
}

/// A value set once from another task.
private final class Box: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: String?

    var value: String? { lock.withLock { stored } }

    func set(_ value: String) { lock.withLock { stored = value } }
}
