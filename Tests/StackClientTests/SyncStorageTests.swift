import Foundation
import GRDB
import StackClient
import StackCore
import StackProtocol
import Testing

/// Scripted line sequences through the state machine and the SQLite executor; table contents out.
@Suite struct SyncStorageTests {
    /// Counts the commits of a database.
    final class CommitCounter: TransactionObserver, @unchecked Sendable {
        var commits = 0
        func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
        func databaseDidChange(with event: DatabaseEvent) {}
        func databaseDidCommit(_ db: Database) { commits += 1 }
        func databaseDidRollback(_ db: Database) {}
    }

    @Test func consecutiveDataLinesAreStoredInOneTransaction() async throws {
        let database = try TestSupport.openDatabase()
        let engine = try SyncEngine(storage: SyncStorage(database: database)) { _ in }
        let ops = (1...6).map { TestSupport.put(OpID(Int64($0)), "r\($0)", title: "T\($0)") }
        let checkpoint = SyncLine.checkpoint(Checkpoint(lastOpID: 6, buckets: [TestSupport.bucket("u", ops)]))
        #expect(try await engine.receive([checkpoint]) == nil)
        let counter = CommitCounter()
        database.queue.add(transactionObserver: counter, extent: .observerLifetime)
        let lines = stride(from: 0, to: 6, by: 2).map {
            SyncLine.data(TestSupport.batch("u", Array(ops[$0..<$0 + 2]), after: OpID(Int64($0))))
        }
        #expect(try await engine.receive(lines) == nil)
        #expect(counter.commits == 1)
        let stored = try database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM ps_oplog") }
        #expect(stored == 6)
        #expect(try SyncStorage(database: database).bucketPositions() == [BucketRequest(name: "u", after: 6)])
        #expect(try await engine.receive([.checkpointComplete(CheckpointComplete(lastOpID: 6))]) == nil)
        #expect(try TestSupport.titles(database).count == 6)
    }

    /// Events an engine reports.
    final class Events: @unchecked Sendable {
        private let lock = NSLock()
        private var events: [SyncEvent] = []
        func append(_ event: SyncEvent) { lock.withLock { events.append(event) } }
        var progress: [DownloadProgress] {
            lock.withLock { events.compactMap { if case .progress(let p) = $0 { p } else { nil } } }
        }
    }

    @Test("download progress: ops stored against the checkpoint's counts, and only the new ops after an apply")
    func downloadProgress() async throws {
        let database = try TestSupport.openDatabase()
        let events = Events()
        let engine = try SyncEngine(storage: SyncStorage(database: database)) { events.append($0) }
        let ops = (1...6).map { TestSupport.put(OpID(Int64($0)), "r\($0)", title: "T\($0)") }
        let other = [TestSupport.put(7, "o1", title: "O")]
        let buckets = [TestSupport.bucket("u", ops), TestSupport.bucket("v", other)]
        #expect(try await engine.receive(.checkpoint(Checkpoint(lastOpID: 7, buckets: buckets))) == nil)
        for start in stride(from: 0, to: 6, by: 3) {
            let line = SyncLine.data(TestSupport.batch("u", Array(ops[start..<start + 3]), after: OpID(Int64(start))))
            #expect(try await engine.receive(line) == nil)
        }
        #expect(try await engine.receive(.data(TestSupport.batch("v", other))) == nil)
        #expect(
            events.progress.map { [$0.downloaded, $0.total] } == [[3, 7], [6, 7], [7, 7]], "\(events.progress)")
        #expect(try await engine.receive(.checkpointComplete(CheckpointComplete(lastOpID: 7))) == nil)

        // After the apply, a diff adding two ops to u counts just those two.
        let more = [TestSupport.put(8, "r7", title: "T7"), TestSupport.put(9, "r8", title: "T8")]
        let grown = TestSupport.bucket("u", ops + more)
        #expect(
            try await engine.receive(
                .checkpointDiff(CheckpointDiff(lastOpID: 9, updatedBuckets: [grown], removedBuckets: []))) == nil)
        #expect(try await engine.receive(.data(TestSupport.batch("u", [more[0]], after: 7))) == nil)
        #expect(events.progress.last == DownloadProgress(downloaded: 1, total: 2))
    }

    @Test("download progress never counts more than a bucket needs, nor a bucket the checkpoint no longer has")
    func downloadProgressClamps() {
        let checkpoint = Checkpoint(
            lastOpID: 9, buckets: [BucketChecksum(bucket: "a", checksum: 0, count: 5, priority: 3)])
        let progress = DownloadProgress(checkpoint: checkpoint, stored: ["a": (2, 9), "gone": (0, 40)])
        #expect(progress == DownloadProgress(downloaded: 3, total: 3))
    }

    /// Feeds lines through a machine and executes its actions like the engine does; returns the last results.
    @discardableResult
    static func run(_ lines: [SyncLine], _ storage: SyncStorage, machine: inout SyncEngineStateMachine) throws
        -> [SyncAction]
    {
        var executed: [SyncAction] = []
        for line in lines {
            var actions = machine.receive(line)[...]
            while let action = actions.popFirst() {
                executed.append(action)
                switch action {
                case .deleteBuckets(let names): try storage.deleteBuckets(names)
                case .applyData(let batch): try storage.applyData(batch)
                case .syncLocal(let request):
                    actions.append(contentsOf: machine.syncLocalFinished(request, try storage.syncLocal(request)))
                case .prefetchCredentials, .reconnect: break
                }
            }
        }
        return executed
    }

    let a1 = TestSupport.put(1, "a", title: "A")
    let b2 = TestSupport.put(2, "b", title: "B")

    @Test func initialSyncFillsTheTablesAndDiffsApplyChanges() throws {
        let database = try TestSupport.openDatabase()
        let storage = SyncStorage(database: database)
        var machine = SyncEngineStateMachine(localBuckets: [])
        try Self.run(
            [
                .checkpoint(Checkpoint(lastOpID: 2, buckets: [TestSupport.bucket("u", [a1, b2])])),
                .data(TestSupport.batch("u", [a1, b2])),
                .checkpointComplete(CheckpointComplete(lastOpID: 2)),
            ], storage, machine: &machine)
        #expect(try TestSupport.titles(database) == ["a": "A", "b": "B"])
        #expect(try storage.bucketPositions() == [BucketRequest(name: "u", after: 2)])
        #expect(try TestSupport.crud(database).isEmpty)

        // a changes, b leaves the bucket.
        let a3 = TestSupport.put(3, "a", title: "A2")
        let removeB = OplogEntry.remove(opID: 4, objectType: "todos", objectID: "b", subkey: "s")
        let all = [a1, b2, a3, removeB]
        try Self.run(
            [
                .checkpointDiff(
                    CheckpointDiff(lastOpID: 4, updatedBuckets: [TestSupport.bucket("u", all)], removedBuckets: [])),
                .data(TestSupport.batch("u", [a3, removeB], after: 2)),
                .checkpointComplete(CheckpointComplete(lastOpID: 4)),
            ], storage, machine: &machine)
        #expect(try TestSupport.titles(database) == ["a": "A2"])
        let oplog = try database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM ps_oplog") }
        #expect(oplog == 1)
    }

    @Test func aRowInTwoBucketsSurvivesLeavingOne() throws {
        let database = try TestSupport.openDatabase()
        let storage = SyncStorage(database: database)
        var machine = SyncEngineStateMachine(localBuckets: [])
        let inX = TestSupport.put(1, "a", title: "A")
        let inY = TestSupport.put(2, "a", title: "A")
        try Self.run(
            [
                .checkpoint(
                    Checkpoint(lastOpID: 2, buckets: [TestSupport.bucket("x", [inX]), TestSupport.bucket("y", [inY])])),
                .data(TestSupport.batch("x", [inX])), .data(TestSupport.batch("y", [inY])),
                .checkpointComplete(CheckpointComplete(lastOpID: 2)),
                .checkpointDiff(CheckpointDiff(lastOpID: 3, updatedBuckets: [], removedBuckets: ["x"])),
                .checkpointComplete(CheckpointComplete(lastOpID: 3)),
            ], storage, machine: &machine)
        #expect(try TestSupport.titles(database) == ["a": "A"])
        try Self.run(
            [
                .checkpointDiff(CheckpointDiff(lastOpID: 4, updatedBuckets: [], removedBuckets: ["y"])),
                .checkpointComplete(CheckpointComplete(lastOpID: 4)),
            ], storage, machine: &machine)
        #expect(try TestSupport.titles(database).isEmpty)
    }

    @Test func moveAndClearKeepChecksumsConsistent() throws {
        let database = try TestSupport.openDatabase()
        let storage = SyncStorage(database: database)
        var machine = SyncEngineStateMachine(localBuckets: [])
        // A compacted bucket: CLEAR (sum of replaced ops), a MOVE tombstone, then the live PUT.
        let clear = OplogEntry(opID: 5, op: .clear, checksum: 1234)
        let move = OplogEntry(opID: 6, op: .move, checksum: 99)
        let live = TestSupport.put(7, "a", title: "A")
        let expected = BucketChecksum(bucket: "u", checksum: Checksum(1234) + Checksum(99) + live.checksum, count: 3)
        let actions = try Self.run(
            [
                .checkpoint(Checkpoint(lastOpID: 7, buckets: [expected])),
                .data(TestSupport.batch("u", [clear, move, live])),
                .checkpointComplete(CheckpointComplete(lastOpID: 7)),
            ], storage, machine: &machine)
        #expect(!actions.contains { if case .reconnect = $0 { true } else { false } })
        #expect(try TestSupport.titles(database) == ["a": "A"])
    }

    @Test func checksumMismatchDeletesOnlyThatBucketAndItDownloadsAgain() throws {
        let database = try TestSupport.openDatabase()
        let storage = SyncStorage(database: database)
        var machine = SyncEngineStateMachine(localBuckets: [])
        let good = TestSupport.put(1, "a", title: "A")
        let bad = TestSupport.put(2, "b", title: "B")
        let lying = BucketChecksum(bucket: "y", checksum: bad.checksum + Checksum(1), count: 1)
        let actions = try Self.run(
            [
                .checkpoint(Checkpoint(lastOpID: 2, buckets: [TestSupport.bucket("x", [good]), lying])),
                .data(TestSupport.batch("x", [good])), .data(TestSupport.batch("y", [bad])),
                .checkpointComplete(CheckpointComplete(lastOpID: 2)),
            ], storage, machine: &machine)
        #expect(actions.suffix(2) == [.deleteBuckets(["y"]), .reconnect(.checksumMismatch(["y"]))])
        #expect(try TestSupport.titles(database).isEmpty)
        // The next request omits y (download from scratch) and keeps x's position.
        #expect(try storage.bucketPositions() == [BucketRequest(name: "x", after: 1)])

        // Corrupt a stored sum locally: validation catches it.
        try database.queue.write { db in try db.execute(sql: "UPDATE ps_buckets SET op_checksum = op_checksum + 1") }
        let request = SyncLocalRequest(
            lastOpID: 2, writeCheckpoint: nil, buckets: [TestSupport.bucket("x", [good])], priority: nil)
        #expect(try storage.syncLocal(request) == .checksumMismatch(["x"]))
    }

    @Test func localEditsDoNotFlickerUntilTheWriteCheckpointReturns() throws {
        let database = try TestSupport.openDatabase()
        let storage = SyncStorage(database: database)
        var machine = SyncEngineStateMachine(localBuckets: [])
        try Self.run(
            [
                .checkpoint(Checkpoint(lastOpID: 1, buckets: [TestSupport.bucket("u", [a1])])),
                .data(TestSupport.batch("u", [a1])), .checkpointComplete(CheckpointComplete(lastOpID: 1)),
            ], storage, machine: &machine)
        try database.write { db in try db.execute(sql: "UPDATE todos SET title = 'mine' WHERE id = 'a'") }

        // A stale server state arrives while the edit is queued: validated, not applied.
        let stale = TestSupport.put(2, "a", title: "server-old")
        try Self.run(
            [
                .checkpointDiff(
                    CheckpointDiff(
                        lastOpID: 2, updatedBuckets: [TestSupport.bucket("u", [a1, stale])], removedBuckets: [])),
                .data(TestSupport.batch("u", [stale], after: 1)), .checkpointComplete(CheckpointComplete(lastOpID: 2)),
            ], storage, machine: &machine)
        #expect(try TestSupport.titles(database) == ["a": "mine"])
        #expect(machine.deferred?.lastOpID == OpID(2))

        // Upload done, write checkpoint 5 requested: still not applied until a checkpoint carries 5.
        try database.queue.write { db in
            try db.execute(sql: "DELETE FROM ps_crud")
            try ClientDatabase.setKV(db, ClientKV.targetWriteCheckpoint, 5)
        }
        for action in machine.uploadFinished() {
            guard case .syncLocal(let request) = action else { continue }
            #expect(try storage.syncLocal(request) == .deferred)
        }
        #expect(try TestSupport.titles(database) == ["a": "mine"])

        let mine = TestSupport.put(3, "a", title: "mine")
        try Self.run(
            [
                .checkpointDiff(
                    CheckpointDiff(
                        lastOpID: 3, writeCheckpoint: 5, updatedBuckets: [TestSupport.bucket("u", [a1, stale, mine])],
                        removedBuckets: [])),
                .data(TestSupport.batch("u", [mine], after: 2)), .checkpointComplete(CheckpointComplete(lastOpID: 3)),
            ], storage, machine: &machine)
        #expect(try TestSupport.titles(database) == ["a": "mine"])
        #expect(machine.lastApplied == OpID(3))
    }

    @Test func aRejectedInsertRevertsToTheServerState() throws {
        let database = try TestSupport.openDatabase()
        let storage = SyncStorage(database: database)
        var machine = SyncEngineStateMachine(localBuckets: [])
        try database.write { db in try db.execute(sql: "INSERT INTO todos(id, title) VALUES ('local', 'x')") }
        // The server rejected it: the queue is completed, nothing of it exists on the server.
        try database.queue.write { db in
            try db.execute(sql: "DELETE FROM ps_crud")
            try ClientDatabase.setKV(db, ClientKV.targetWriteCheckpoint, 1)
        }
        try Self.run(
            [
                .checkpoint(Checkpoint(lastOpID: 1, writeCheckpoint: 1, buckets: [TestSupport.bucket("u", [a1])])),
                .data(TestSupport.batch("u", [a1])), .checkpointComplete(CheckpointComplete(lastOpID: 1)),
            ], storage, machine: &machine)
        #expect(try TestSupport.titles(database) == ["a": "A"])
    }

    @Test func priorityZeroAppliesWhileUploadsArePending() throws {
        let database = try TestSupport.openDatabase()
        let storage = SyncStorage(database: database)
        var machine = SyncEngineStateMachine(localBuckets: [])
        try database.write { db in try db.execute(sql: "INSERT INTO todos(id, title) VALUES ('local', 'x')") }
        let urgent = TestSupport.bucket("p0", [a1], priority: 0)
        let normal = TestSupport.bucket("p3", [b2])
        try Self.run(
            [
                .checkpoint(Checkpoint(lastOpID: 2, buckets: [urgent, normal])),
                .data(TestSupport.batch("p0", [a1])),
                .partialCheckpointComplete(PartialCheckpointComplete(lastOpID: 2, priority: 0)),
                .data(TestSupport.batch("p3", [b2])),
                .checkpointComplete(CheckpointComplete(lastOpID: 2)),
            ], storage, machine: &machine)
        #expect(try TestSupport.titles(database) == ["a": "A", "local": "x"])
    }

    @Test func accountSwitchWipesSyncedDataButKeepsLocalOnly() throws {
        let database = try TestSupport.openDatabase()
        let storage = SyncStorage(database: database)
        var machine = SyncEngineStateMachine(localBuckets: [])
        try DeviceAccount.signIn(database, account: DeviceAccount(userID: "u1", email: "a@x", sessionToken: "t1"))
        try Self.run(
            [
                .checkpoint(Checkpoint(lastOpID: 1, buckets: [TestSupport.bucket("u", [a1])])),
                .data(TestSupport.batch("u", [a1])), .checkpointComplete(CheckpointComplete(lastOpID: 1)),
            ], storage, machine: &machine)
        try database.write { db in
            try db.execute(sql: "INSERT INTO prefs(id, value) VALUES ('theme', 'dark')")
            try db.execute(sql: "INSERT INTO todos(id, title) VALUES ('pending', 'p')")
        }
        #expect(
            try DeviceAccount.signIn(database, account: DeviceAccount(userID: "u1", email: "a@x", sessionToken: "t2"))
                == false)
        #expect(try TestSupport.titles(database).count == 2)
        // The pending insert would go with the wipe: the switch is refused and nothing changes.
        #expect(throws: ClientError.pendingUploads(transactions: 1, email: "a@x")) {
            try DeviceAccount.signIn(database, account: DeviceAccount(userID: "u2", email: "b@x", sessionToken: "t3"))
        }
        #expect(try TestSupport.titles(database).count == 2)
        #expect(try TestSupport.crud(database).count == 1)
        #expect(try database.read { try DeviceAccount.load($0) }?.userID == "u1")
        #expect(
            try DeviceAccount.signIn(
                database, account: DeviceAccount(userID: "u2", email: "b@x", sessionToken: "t3"), discardPending: true))
        #expect(try TestSupport.titles(database).isEmpty)
        #expect(try TestSupport.crud(database).isEmpty)
        #expect(try storage.bucketPositions().isEmpty)
        #expect(try database.read { try String.fetchOne($0, sql: "SELECT value FROM prefs") } == "dark")
        #expect(try database.read { try DeviceAccount.load($0) }?.userID == "u2")
    }
}
