import Foundation
import Logging
import StackPGOutput
import StackPostgres
import StackTesting
import Testing

@Suite struct LibPQReplicationConnectionTests {
    let logger = Logger(label: "test.replication")

    /// A database with table `items` in publication `pub`.
    private func prepare(_ prefix: String) async throws -> (TestDatabase, SQLSession) {
        let database = try await TestPostgres.shared().makeDatabase(prefix: prefix)
        let session = try SQLSession(url: database.url)
        try session.execute(
            "CREATE TABLE items (id int PRIMARY KEY, name text); CREATE PUBLICATION pub FOR TABLE items")
        return (database, session)
    }

    /// Reads events until `count` transactions have been assembled.
    private func transactions(
        _ count: Int, from iterator: inout ReplicationEventStream.Iterator, assembler: inout TransactionAssembler
    ) async throws -> [Transaction] {
        var result: [Transaction] = []
        while result.count < count, let event = try await iterator.next() {
            if case .message(let message, _, _) = event,
                case .transaction(let transaction)? = try assembler.feed(message)
            {
                result.append(transaction)
            }
        }
        return result
    }

    @Test func streamsConfirmsAndResumesAfterTheConfirmedLSN() async throws {
        let (database, session) = try await prepare("repl")
        let slot = "slot_\(database.name)"
        let connection = try await LibPQReplicationConnection.connect(url: database.url, logger: logger)
        let identity = try await connection.identifySystem()
        #expect(identity.database == database.name)
        #expect(identity.timeline == 1)
        let consistentPoint = try await connection.createSlot(slot)
        #expect(consistentPoint >= identity.xLogPosition)

        let stream = try await connection.startReplication(slot: slot, publications: ["pub"])
        for id in 1...3 {
            try session.execute("INSERT INTO items VALUES (\(id), 'row \(id)')")
        }
        var iterator = stream.makeAsyncIterator()
        var assembler = TransactionAssembler()
        let first = try await transactions(3, from: &iterator, assembler: &assembler)
        #expect(first.count == 3)
        let ids = first.map { transaction -> PGColumnValue? in
            guard case .insert(let table, let row)? = transaction.changes.first, table.name == "items" else {
                return nil
            }
            return row["id"]
        }
        #expect(ids == [.text("1"), .text("2"), .text("3")])
        #expect(first.map(\.endLSN) == first.map(\.endLSN).sorted())
        #expect(first[0].commitLSN > consistentPoint)

        // Only the first two are durably processed; the third must be replayed after a restart.
        connection.confirm(first[1].endLSN)
        connection.confirm(first[0].endLSN)
        #expect(connection.confirmedLSN == first[1].endLSN)
        await connection.stop()
        // After stop the stream ends cleanly (nil, no error) once buffered events are drained.
        // Keepalives may be buffered (other databases' WAL moves the server on); no row change may be.
        var drainedChanges = 0
        while let event = try await iterator.next() {
            if case .message(let message, _, _) = event {
                switch message {
                case .insert, .update, .delete, .truncate: drainedChanges += 1
                default: break
                }
            }
        }
        #expect(drainedChanges == 0)
        let confirmed = try session.value(
            "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '\(slot)'")
        #expect(confirmed.flatMap { LSN($0) } == first[1].endLSN)

        try session.execute("INSERT INTO items VALUES (4, 'row 4')")
        let resumed = try await LibPQReplicationConnection.connect(url: database.url, logger: logger)
        let again = try await resumed.startReplication(slot: slot, publications: ["pub"])
        var againIterator = again.makeAsyncIterator()
        var againAssembler = TransactionAssembler()
        let replayed = try await transactions(2, from: &againIterator, assembler: &againAssembler)
        #expect(replayed.count == 2)
        #expect(replayed.first?.xid == first[2].xid)
        #expect(replayed.first?.endLSN == first[2].endLSN)
        #expect(!first.prefix(2).map(\.xid).contains(replayed.last!.xid))
        guard case .insert(_, let row)? = replayed.last?.changes.first else {
            Issue.record("expected the new insert after the replay")
            return
        }
        #expect(row["id"] == .text("4"))
        await resumed.stop()

        let cleanup = try await LibPQReplicationConnection.connect(url: database.url, logger: logger)
        try await cleanup.dropSlot(slot)
        await #expect(throws: ReplicationConnectionError.self) { try await cleanup.dropSlot(slot) }
        await cleanup.stop()
    }

    @Test func missingSlotAndBadNamesFailWithStableCodes() async throws {
        let (database, _) = try await prepare("errs")
        let connection = try await LibPQReplicationConnection.connect(url: database.url, logger: logger)
        do {
            _ = try await connection.startReplication(slot: "does_not_exist", publications: ["pub"])
            Issue.record("START_REPLICATION on a missing slot succeeded")
        } catch let error as ReplicationConnectionError {
            #expect(error.code == "STACK-R033")
            #expect(error.sqlState == "42704")
        }
        do {
            _ = try await connection.createSlot("Bad-Name; DROP")
            Issue.record("invalid slot name accepted")
        } catch let error as ReplicationConnectionError {
            #expect(error.code == "STACK-R041")
        }
        await connection.stop()
        await #expect(throws: ReplicationConnectionError.self) { try await connection.identifySystem() }
    }

    @Test func connectFailureDoesNotLeakThePassword() async throws {
        let postgres = try await TestPostgres.shared()
        let url = "postgres://nobody:s3cr3t-pw@127.0.0.1:\(postgres.port)/nowhere"
        do {
            _ = try await LibPQReplicationConnection.connect(url: url, logger: logger)
            Issue.record("connected as a missing role")
        } catch let error as ReplicationConnectionError {
            #expect(error.code == "STACK-R031")
            #expect(!error.description.contains("s3cr3t-pw"))
        }
    }

    @Test func backpressureAndThroughputOf50kRows() async throws {
        let (database, session) = try await prepare("bulk")
        let slot = "slot_\(database.name)"
        let connection = try await LibPQReplicationConnection.connect(url: database.url, logger: logger)
        _ = try await connection.createSlot(slot)
        let total = 50_000
        let perTransaction = 1_000
        for start in stride(from: 1, through: total, by: perTransaction) {
            try session.execute(
                "INSERT INTO items SELECT g, 'name ' || g "
                    + "FROM generate_series(\(start), \(start + perTransaction - 1)) g"
            )
        }
        // A tiny buffer forces the thread to wait for the consumer over and over.
        let clock = ContinuousClock()
        let started = clock.now
        let stream = try await connection.startReplication(slot: slot, publications: ["pub"], bufferCapacity: 64)
        var iterator = stream.makeAsyncIterator()
        var assembler = TransactionAssembler()
        var rows = 0
        var lastID: Int?
        var ordered = true
        while rows < total, let event = try await iterator.next() {
            guard case .message(let message, _, _) = event,
                case .transaction(let transaction)? = try assembler.feed(message)
            else { continue }
            for change in transaction.changes {
                guard case .insert(_, let row) = change, case .text(let text)? = row["id"], let id = Int(text) else {
                    continue
                }
                ordered = ordered && id == (lastID ?? 0) + 1
                lastID = id
                rows += 1
            }
            connection.confirm(transaction.endLSN)
        }
        let elapsed = clock.now - started
        #expect(rows == total)
        #expect(ordered)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            "end-to-end: \(rows) rows received+decoded+assembled in \(String(format: "%.2f", seconds)) s = "
                + "\(Int(Double(rows) / seconds)) rows/s")
        await connection.stop()
        try session.execute("SELECT pg_drop_replication_slot('\(slot)')")
    }
}
