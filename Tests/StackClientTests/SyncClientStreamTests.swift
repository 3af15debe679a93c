import Foundation
import Logging
import StackClient
import StackCore
import StackProtocol
import Testing

/// The stream loop's two tasks (reading and decoding ahead, storing in order) against a real HTTP server.
@Suite struct SyncClientStreamTests {
    @Test(
        "syncOnce stops at the first applied checkpoint while the stream stays open; lines read ahead are not stored",
        .timeLimit(.minutes(1)))
    func stopsWithReadAheadLinesUnstored() async throws {
        let database = try TestSupport.openDatabase()
        try DeviceAccount.signIn(database, account: DeviceAccount(userID: "u1", email: nil, sessionToken: "session-1"))
        let a1 = TestSupport.put(1, "a", title: "A")
        let b2 = TestSupport.put(2, "b", title: "B")
        let a3 = TestSupport.put(3, "a", title: "A2")
        let c4 = TestSupport.put(4, "c", title: "C")
        let server = ScriptedServer()
        await server.script(
            uploads: [],
            stream: [
                .checkpoint(Checkpoint(lastOpID: 2, buckets: [TestSupport.bucket("u", [a1, b2])])),
                .data(TestSupport.batch("u", [a1, b2])),
                .checkpointComplete(CheckpointComplete(lastOpID: 2)),
                // The next checkpoint's data is already on the wire when the first one is applied.
                .checkpointDiff(
                    CheckpointDiff(
                        lastOpID: 4, updatedBuckets: [TestSupport.bucket("u", [a1, b2, a3, c4])], removedBuckets: [])),
                .data(TestSupport.batch("u", [a3, c4], after: 2)),
            ], holdOpen: true)
        let report = try await server.serve { url in
            let client = SyncClient(
                database: database, connector: StackConnector(apiBaseURL: url), retry: UploadQueueTests.fast,
                logger: Logger(label: "t"))
            return try await client.syncOnce()
        }
        #expect(report.appliedCheckpoint == OpID(2))
        #expect(report.rowsApplied == 2)
        #expect(try TestSupport.titles(database) == ["a": "A", "b": "B"])
        #expect(try SyncStorage(database: database).bucketPositions() == [BucketRequest(name: "u", after: 2)])
        let stored = try database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM ps_oplog") }
        #expect(stored == 2)
    }
}
