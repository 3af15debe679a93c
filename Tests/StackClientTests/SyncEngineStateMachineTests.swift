import StackClient
import StackCore
import StackProtocol
import Testing

@Suite struct SyncEngineStateMachineTests {
    let a1 = TestSupport.put(1, "a", title: "A")
    let b2 = TestSupport.put(2, "b", title: "B")

    @Test func initialSyncScript() {
        var machine = SyncEngineStateMachine(localBuckets: ["stale"])
        let bucket = TestSupport.bucket("u", [a1, b2])
        let checkpoint = Checkpoint(lastOpID: 2, buckets: [bucket])
        #expect(machine.receive(.checkpoint(checkpoint)) == [.deleteBuckets(["stale"])])
        let batch = TestSupport.batch("u", [a1, b2])
        #expect(machine.receive(.data(batch)) == [.applyData(batch)])
        #expect(machine.receive(.tokenExpiresIn(600)) == [])
        let request = SyncLocalRequest(lastOpID: 2, writeCheckpoint: nil, buckets: [bucket], priority: nil)
        #expect(machine.receive(.checkpointComplete(CheckpointComplete(lastOpID: 2))) == [.syncLocal(request)])
        #expect(machine.syncLocalFinished(request, .applied) == [])
        #expect(machine.lastApplied == OpID(2))
        #expect(machine.localBuckets == ["u"])
    }

    @Test func diffUpdatesTheTargetAndDeletesRemovedBuckets() {
        var machine = SyncEngineStateMachine(localBuckets: [])
        _ = machine.receive(.checkpoint(Checkpoint(lastOpID: 2, buckets: [
            TestSupport.bucket("x", [a1]), TestSupport.bucket("y", [b2]),
        ])))
        _ = machine.receive(.data(TestSupport.batch("x", [a1])))
        _ = machine.receive(.data(TestSupport.batch("y", [b2])))
        let updated = BucketChecksum(bucket: "z", checksum: 5, count: 1, priority: 1)
        let diff = CheckpointDiff(lastOpID: 7, writeCheckpoint: 3, updatedBuckets: [updated], removedBuckets: ["y"])
        #expect(machine.receive(.checkpointDiff(diff)) == [.deleteBuckets(["y"])])
        #expect(machine.target?.buckets.map(\.bucket) == ["x", "z"])
        #expect(machine.target?.writeCheckpoint == OpID(3))
        let actions = machine.receive(.partialCheckpointComplete(PartialCheckpointComplete(lastOpID: 7, priority: 1)))
        #expect(actions == [.syncLocal(SyncLocalRequest(lastOpID: 7, writeCheckpoint: nil, buckets: [updated], priority: 1))])
    }

    @Test func checksumMismatchDropsTheBucketAndReconnects() {
        var machine = SyncEngineStateMachine(localBuckets: [])
        let bucket = TestSupport.bucket("u", [a1])
        _ = machine.receive(.checkpoint(Checkpoint(lastOpID: 1, buckets: [bucket])))
        _ = machine.receive(.data(TestSupport.batch("u", [a1])))
        let request = SyncLocalRequest(lastOpID: 1, writeCheckpoint: nil, buckets: [bucket], priority: nil)
        #expect(machine.syncLocalFinished(request, .checksumMismatch(["u"]))
            == [.deleteBuckets(["u"]), .reconnect(.checksumMismatch(["u"]))])
        #expect(machine.localBuckets.isEmpty)
    }

    @Test func deferredCheckpointRetriesAfterUpload() {
        var machine = SyncEngineStateMachine(localBuckets: [])
        _ = machine.receive(.checkpoint(Checkpoint(lastOpID: 1, writeCheckpoint: 4, buckets: [])))
        let request = SyncLocalRequest(lastOpID: 1, writeCheckpoint: 4, buckets: [], priority: nil)
        #expect(machine.receive(.checkpointComplete(CheckpointComplete(lastOpID: 1))) == [.syncLocal(request)])
        #expect(machine.uploadFinished() == [])
        _ = machine.syncLocalFinished(request, .deferred)
        #expect(machine.uploadFinished() == [.syncLocal(request)])
        _ = machine.syncLocalFinished(request, .applied)
        #expect(machine.uploadFinished() == [])
    }

    @Test func protocolViolationsAndTokenExpiry() {
        var machine = SyncEngineStateMachine(localBuckets: [])
        let diff = CheckpointDiff(lastOpID: 1, updatedBuckets: [], removedBuckets: [])
        guard case .reconnect(.protocolViolation) = machine.receive(.checkpointDiff(diff)).first else {
            Issue.record("a diff before a checkpoint must end the stream")
            return
        }
        _ = machine.receive(.checkpoint(Checkpoint(lastOpID: 5, buckets: [])))
        guard case .reconnect(.protocolViolation) = machine.receive(.checkpointComplete(CheckpointComplete(lastOpID: 4))).first
        else {
            Issue.record("a complete for another checkpoint must end the stream")
            return
        }
        #expect(machine.receive(.tokenExpiresIn(25)) == [.prefetchCredentials])
        #expect(machine.receive(.tokenExpiresIn(20)) == [])
        #expect(machine.receive(.tokenExpiresIn(0)) == [.reconnect(.tokenExpired)])
        #expect(machine.receive(.unknown(key: "future")) == [])
    }
}
