import Foundation
import GRDB
import StackClient
import StackCore
import StackProtocol
import Testing

/// The checkpoint apply's two paths: new ops copied straight to the tables, and the winners table for the rest
/// (rows superseded in another bucket, PUTs without data, marked rows, untyped rows).
@Suite struct SyncStorageApplyTests {
    /// Both ways of finding superseded ops must give the same tables.
    static let searches: [SyncStorage.WinnerSearch] = [.lookups, .scan]

    static func storage(_ database: ClientDatabase, _ search: SyncStorage.WinnerSearch) -> SyncStorage {
        var storage = SyncStorage(database: database)
        storage.winnerSearch = search
        return storage
    }

    static func complete(_ lastOpID: OpID, _ buckets: [BucketChecksum]) -> SyncLocalRequest {
        SyncLocalRequest(lastOpID: lastOpID, writeCheckpoint: nil, buckets: buckets, priority: nil)
    }

    @Test(arguments: searches) func aFreshDownloadIsCopiedStraightAndCountedOncePerRow(search: SyncStorage.WinnerSearch)
        throws
    {
        let database = try TestSupport.openDatabase()
        let storage = Self.storage(database, search)
        let ops = (1...5).map { TestSupport.put(OpID(Int64($0)), "r\($0)", title: "T\($0)") }
        try storage.applyData(TestSupport.batch("u", Array(ops[..<3])))
        try storage.applyData(TestSupport.batch("u", Array(ops[3...]), after: 3))
        let (result, changes) = try storage.syncLocalReportingChanges(Self.complete(5, [TestSupport.bucket("u", ops)]))
        #expect(result == .applied)
        #expect(changes.count == 5)
        #expect(changes.rows.map(\.id).sorted() == ["r1", "r2", "r3", "r4", "r5"])
        #expect(changes.rows.allSatisfy { $0.operation == .insert })
        #expect(try TestSupport.titles(database) == ["r1": "T1", "r2": "T2", "r3": "T3", "r4": "T4", "r5": "T5"])

        // Nothing new: nothing written, nothing listed.
        let (_, again) = try storage.syncLocalReportingChanges(Self.complete(5, [TestSupport.bucket("u", ops)]))
        #expect(again.count == 0 && again.rows.isEmpty)
    }

    @Test func anInitialSyncScansAndGivesTheTablesTheLookupsGive() throws {
        // 6,000 new ops in an empty oplog: the automatic search scans. Rows shared by two buckets, each bucket
        // arriving in several chunks, and some latest ops without data (the row must go).
        let x = (0..<3000).map { TestSupport.put(OpID(Int64($0 + 1)), "r\($0)", title: "x\($0)", subkey: "x") }
        let y = (0..<3000).map { index -> OplogEntry in
            let id = "r\(index * 7 % 4000)"
            let op = OpID(Int64(3001 + index))
            guard index % 10 == 0 else { return TestSupport.put(op, id, title: "y\(index)", subkey: "y") }
            return OplogEntry(
                opID: op, op: .put, objectType: "todos", objectID: id, data: nil, checksum: 7, subkey: "y")
        }
        var expected: [String: String] = [:]
        for entry in x + y {  // in op order: the last op of a row decides
            let id = entry.objectID!
            expected[id] = entry.data == nil ? nil : String(entry.data!.split(separator: "\"")[7])
        }
        var tables: [SyncStorage.WinnerSearch: [String: String]] = [:]
        for search in [SyncStorage.WinnerSearch.automatic, .lookups] {
            let database = try TestSupport.openDatabase()
            let storage = Self.storage(database, search)
            for start in stride(from: 0, to: 3000, by: 1000) {
                try storage.applyData(TestSupport.batch("x", Array(x[start..<start + 1000]), after: OpID(Int64(start))))
                try storage.applyData(
                    TestSupport.batch("y", Array(y[start..<start + 1000]), after: OpID(Int64(3000 + start))))
            }
            let result = try storage.syncLocal(
                Self.complete(6000, [TestSupport.bucket("x", x), TestSupport.bucket("y", y)]))
            #expect(result == .applied)
            tables[search] = try TestSupport.titles(database)
        }
        #expect(tables[.automatic] == expected)
        #expect(tables[.lookups] == expected)
    }

    @Test(arguments: searches) func aRowInTwoBucketsTakesItsHighestOpWhicheverBucketArrivesFirst(
        search: SyncStorage.WinnerSearch
    ) throws {
        let database = try TestSupport.openDatabase()
        let storage = Self.storage(database, search)
        let newer = TestSupport.put(7, "a", title: "from x", subkey: "k1")
        let older = TestSupport.put(4, "a", title: "from y", subkey: "k2")
        try storage.applyData(TestSupport.batch("x", [newer]))
        try storage.applyData(TestSupport.batch("y", [older]))
        let buckets = [TestSupport.bucket("x", [newer]), TestSupport.bucket("y", [older])]
        let (_, changes) = try storage.syncLocalReportingChanges(Self.complete(7, buckets))
        #expect(try TestSupport.titles(database) == ["a": "from x"])
        #expect(changes.count == 1 && changes.rows.count == 1)

        // Only y gets a newer op: it wins although x's op is already applied.
        let newest = TestSupport.put(9, "a", title: "from y again", subkey: "k2")
        try storage.applyData(TestSupport.batch("y", [newest], after: 4))
        let later = [TestSupport.bucket("x", [newer]), TestSupport.bucket("y", [older, newest])]
        _ = try storage.syncLocalReportingChanges(Self.complete(9, later))
        #expect(try TestSupport.titles(database) == ["a": "from y again"])
    }

    @Test(arguments: searches) func aNewOpOlderThanAnAppliedOneElsewhereDoesNotWin(search: SyncStorage.WinnerSearch)
        throws
    {
        let database = try TestSupport.openDatabase()
        let storage = Self.storage(database, search)
        // y (priority 0) is applied at its partial checkpoint; x's older op for the same row arrives afterwards.
        let urgent = TestSupport.put(9, "a", title: "urgent", subkey: "k1")
        let normal = TestSupport.put(5, "a", title: "normal", subkey: "k2")
        let y = TestSupport.bucket("y", [urgent], priority: 0)
        let x = TestSupport.bucket("x", [normal])
        try storage.applyData(TestSupport.batch("y", [urgent]))
        let partial = SyncLocalRequest(lastOpID: 9, writeCheckpoint: nil, buckets: [y], priority: 0)
        #expect(try storage.syncLocal(partial) == .applied)
        #expect(try TestSupport.titles(database) == ["a": "urgent"])
        try storage.applyData(TestSupport.batch("x", [normal]))
        let (_, changes) = try storage.syncLocalReportingChanges(Self.complete(9, [x, y]))
        #expect(try TestSupport.titles(database) == ["a": "urgent"])
        #expect(changes.count == 1 && changes.rows.isEmpty, "recomputed, unchanged, not listed")
    }

    @Test(arguments: searches) func aPutWithoutDataDeletesTheRow(search: SyncStorage.WinnerSearch) throws {
        let database = try TestSupport.openDatabase()
        let storage = Self.storage(database, search)
        let a1 = TestSupport.put(1, "a", title: "A")
        let b2 = TestSupport.put(2, "b", title: "B")
        try storage.applyData(TestSupport.batch("u", [a1, b2]))
        _ = try storage.syncLocal(Self.complete(2, [TestSupport.bucket("u", [a1, b2])]))
        #expect(try TestSupport.titles(database) == ["a": "A", "b": "B"])
        let empty = OplogEntry(
            opID: 3, op: .put, objectType: "todos", objectID: "a", data: nil, checksum: 77, subkey: "s")
        let c4 = OplogEntry(opID: 4, op: .put, objectType: "todos", objectID: "c", data: nil, checksum: 78, subkey: "s")
        try storage.applyData(TestSupport.batch("u", [empty, c4], after: 2))
        let (result, changes) = try storage.syncLocalReportingChanges(
            Self.complete(4, [TestSupport.bucket("u", [a1, b2, empty, c4])]))
        #expect(result == .applied)
        #expect(try TestSupport.titles(database) == ["b": "B"])
        #expect(changes.rows.map(\.id) == ["a"] && changes.rows.first?.operation == .delete)
    }

    @Test(arguments: searches) func typesOutsideTheSchemaGoToUntypedAndLeaveIt(search: SyncStorage.WinnerSearch) throws
    {
        let database = try TestSupport.openDatabase()
        let storage = Self.storage(database, search)
        let known = TestSupport.put(1, "a", title: "A")
        let unknown = OplogEntry.put(
            opID: 2, objectType: "later_table", objectID: "z", data: #"{"id":"z"}"#, subkey: "s")
        let other = OplogEntry.put(opID: 3, objectType: "another", objectID: "y", data: #"{"id":"y"}"#, subkey: "s")
        try storage.applyData(TestSupport.batch("u", [known, unknown, other]))
        _ = try storage.syncLocal(Self.complete(3, [TestSupport.bucket("u", [known, unknown, other])]))
        let untyped = {
            try database.read { try Row.fetchAll($0, sql: "SELECT type, id, data FROM ps_untyped ORDER BY type") }
        }
        #expect(
            try untyped().map { [$0["type"] as String, $0["id"] as String, $0["data"] as String] } == [
                ["another", "y", #"{"id":"y"}"#], ["later_table", "z", #"{"id":"z"}"#],
            ])
        #expect(try TestSupport.titles(database) == ["a": "A"])

        let remove = OplogEntry.remove(opID: 4, objectType: "later_table", objectID: "z", subkey: "s")
        try storage.applyData(TestSupport.batch("u", [remove], after: 3))
        _ = try storage.syncLocal(Self.complete(4, [TestSupport.bucket("u", [known, unknown, other, remove])]))
        #expect(try untyped().map { $0["id"] as String } == ["y"])
    }

    @Test(arguments: searches) func aKeySupersededAcrossChunksKeepsOneOpAndTheChecksum(search: SyncStorage.WinnerSearch)
        throws
    {
        let database = try TestSupport.openDatabase()
        let storage = Self.storage(database, search)
        let first = TestSupport.put(1, "a", title: "one")
        let second = TestSupport.put(5, "a", title: "two")
        let unrelated = TestSupport.put(6, "b", title: "B")
        try storage.applyData(TestSupport.batch("u", [first]))
        try storage.applyData(TestSupport.batch("u", [second, unrelated], after: 1))
        let stored = try database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM ps_oplog") }
        #expect(stored == 2)
        let result = try storage.syncLocal(Self.complete(6, [TestSupport.bucket("u", [first, second, unrelated])]))
        #expect(result == .applied)
        #expect(try TestSupport.titles(database) == ["a": "two", "b": "B"])
    }

    @Test(arguments: searches) func opsStoredByAnotherWriterAreLookedUpAgain(search: SyncStorage.WinnerSearch) throws {
        // This storage fills "u" from empty and so skips looking up keys it has not stored itself; a second
        // storage on the same file (another process syncing the device) stores "b" in between.
        let database = try TestSupport.openDatabase()
        let storage = Self.storage(database, search)
        let other = SyncStorage(database: database)
        let a = TestSupport.put(1, "a", title: "A")
        let b = TestSupport.put(2, "b", title: "one")
        let newerB = TestSupport.put(3, "b", title: "two")
        try storage.applyData(TestSupport.batch("u", [a]))
        try other.applyData(TestSupport.batch("u", [b], after: 1))
        try storage.applyData(TestSupport.batch("u", [newerB], after: 2))
        let keys = try database.read { try String.fetchAll($0, sql: "SELECT key FROM ps_oplog ORDER BY op_id") }
        #expect(keys == ["todos/a/s", "todos/b/s"])
        let result = try storage.syncLocal(Self.complete(3, [TestSupport.bucket("u", [a, b, newerB])]))
        #expect(result == .applied)
        #expect(try TestSupport.titles(database) == ["a": "A", "b": "two"])
    }

    @Test(arguments: searches) func aClearInTheMiddleOfADownloadLeavesOnlyWhatFollowsIt(
        search: SyncStorage.WinnerSearch
    ) throws {
        let database = try TestSupport.openDatabase()
        let storage = Self.storage(database, search)
        let a = TestSupport.put(1, "a", title: "A")
        let b = TestSupport.put(2, "b", title: "B")
        let clear = OplogEntry(opID: 3, op: .clear, checksum: a.checksum + b.checksum)
        let newerA = TestSupport.put(4, "a", title: "A2")
        try storage.applyData(TestSupport.batch("u", [a, b]))
        try storage.applyData(TestSupport.batch("u", [clear, newerA], after: 2))
        let againA = TestSupport.put(5, "a", title: "A3")
        try storage.applyData(TestSupport.batch("u", [againA], after: 4))
        let keys = try database.read { try String.fetchAll($0, sql: "SELECT key FROM ps_oplog") }
        #expect(keys == ["todos/a/s"])
        let result = try storage.syncLocal(Self.complete(5, [TestSupport.bucket("u", [clear, newerA, againA])]))
        #expect(result == .applied)
        #expect(try TestSupport.titles(database) == ["a": "A3"])
    }

    @Test(arguments: searches) func theDevicesOwnInsertComingBackIsNotListedAsAChange(search: SyncStorage.WinnerSearch)
        throws
    {
        let database = try TestSupport.openDatabase()
        let storage = Self.storage(database, search)
        try database.write { db in try db.execute(sql: "INSERT INTO todos(id, title) VALUES ('a', 'A')") }
        try database.queue.write { db in  // uploaded, and the write checkpoint it asked for has come back
            try db.execute(sql: "DELETE FROM ps_crud")
            try ClientDatabase.setKV(db, ClientKV.targetWriteCheckpoint, 1)
            try ClientDatabase.setKV(db, ClientKV.lastSeenWriteCheckpoint, 1)
        }
        // The server's row carries its id in the data; the local write's data has only the columns.
        let echo = TestSupport.put(1, "a", title: "A")
        try storage.applyData(TestSupport.batch("u", [echo]))
        let (result, changes) = try storage.syncLocalReportingChanges(
            Self.complete(1, [TestSupport.bucket("u", [echo])]))
        #expect(result == .applied)
        #expect(changes.count == 1 && changes.rows.isEmpty, "\(changes.rows)")
        #expect(try TestSupport.titles(database) == ["a": "A"])

        // A real change next to it is still listed, without the id among its columns.
        let edited = TestSupport.put(2, "a", title: "B")
        try storage.applyData(TestSupport.batch("u", [edited], after: 1))
        let (_, next) = try storage.syncLocalReportingChanges(
            Self.complete(2, [TestSupport.bucket("u", [echo, edited])]))
        #expect(next.rows == [RowChange(table: "todos", id: "a", operation: .update, columns: ["title": .string("B")])])
    }
}
