import StackCore
import StackProtocol
import Testing

@testable import StackSync

@Suite struct BucketChecksumStateTests {
    static func bucket(_ name: String, _ checksum: UInt32, _ count: Int64, priority: Int = 3) -> BucketState {
        BucketState(name: name, checksum: Checksum(checksum), count: count, priority: priority)
    }

    @Test func firstCheckpointIsSentWholeOrderedByPriorityThenName() {
        var state = BucketChecksumState()
        let plan = state.plan(
            opID: 10, writeCheckpoint: nil,
            buckets: [Self.bucket("b", 1, 1), Self.bucket("a", 2, 2), Self.bucket("z", 3, 3, priority: 0)])
        guard case .checkpoint(let checkpoint) = plan.line else {
            Issue.record("expected a checkpoint line, got \(String(describing: plan.line))")
            return
        }
        #expect(checkpoint.lastOpID == 10)
        #expect(checkpoint.writeCheckpoint == nil)
        #expect(checkpoint.buckets.map(\.bucket) == ["z", "a", "b"])
        #expect(plan.download.map(\.name) == ["z", "a", "b"])
    }

    @Test func unchangedCheckpointSendsNothing() {
        var state = BucketChecksumState()
        _ = state.plan(opID: 10, writeCheckpoint: 1, buckets: [Self.bucket("a", 2, 2)])
        let plan = state.plan(opID: 11, writeCheckpoint: 1, buckets: [Self.bucket("a", 2, 2)])
        #expect(plan.line == nil)
        #expect(plan.download.isEmpty)
    }

    @Test func diffCarriesOnlyChangedAddedAndRemovedBuckets() {
        var state = BucketChecksumState()
        _ = state.plan(opID: 10, writeCheckpoint: nil, buckets: [Self.bucket("a", 2, 2), Self.bucket("b", 5, 1)])
        let plan = state.plan(
            opID: 12, writeCheckpoint: nil, buckets: [Self.bucket("a", 9, 3), Self.bucket("c", 1, 1, priority: 1)])
        guard case .checkpointDiff(let diff) = plan.line else {
            Issue.record("expected a diff, got \(String(describing: plan.line))")
            return
        }
        #expect(diff.lastOpID == 12)
        #expect(diff.updatedBuckets.map(\.bucket) == ["c", "a"])
        #expect(diff.removedBuckets == ["b"])
        #expect(plan.removed == ["b"])
        #expect(plan.download.map(\.name) == ["c", "a"])
    }

    @Test func writeCheckpointAloneProducesAnEmptyDiff() {
        var state = BucketChecksumState()
        _ = state.plan(opID: 10, writeCheckpoint: nil, buckets: [Self.bucket("a", 2, 2)])
        let plan = state.plan(opID: 10, writeCheckpoint: 4, buckets: [Self.bucket("a", 2, 2)])
        guard case .checkpointDiff(let diff) = plan.line else {
            Issue.record("expected a diff, got \(String(describing: plan.line))")
            return
        }
        #expect(diff.writeCheckpoint == 4)
        #expect(diff.updatedBuckets.isEmpty && diff.removedBuckets.isEmpty)
        #expect(plan.download.isEmpty)
    }

    @Test func priorityChangeCountsAsAnUpdate() {
        var state = BucketChecksumState()
        _ = state.plan(opID: 1, writeCheckpoint: nil, buckets: [Self.bucket("a", 2, 2)])
        let plan = state.plan(opID: 1, writeCheckpoint: nil, buckets: [Self.bucket("a", 2, 2, priority: 0)])
        guard case .checkpointDiff(let diff) = plan.line else {
            Issue.record("expected a diff")
            return
        }
        #expect(diff.updatedBuckets.first?.priority == 0)
    }
}
