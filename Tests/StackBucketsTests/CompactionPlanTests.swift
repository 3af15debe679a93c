import StackBuckets
import Testing

@Suite struct CompactionPlanTests {
    private func op(_ id: Int64, _ type: OpType, _ key: String?, _ checksum: UInt32) -> CompactionPlan.Op {
        CompactionPlan.Op(opID: id, op: type, rowKey: key, checksum: checksum, targetOp: nil)
    }

    @Test func supersededOpsMoveAndTheLeadingOpsClear() {
        let ops = [
            op(1, .put, "a", 10), op(2, .put, "b", 20), op(3, .put, "a", 30), op(4, .remove, "b", 40),
            op(5, .put, "c", 50),
        ]
        let plan = CompactionPlan.plan(ops)
        #expect(plan.moves.map(\.opID) == [1, 2])
        #expect(plan.moves.map(\.target) == [3, 4])
        // Leading non-PUT ops after the moves: 1 (MOVE), 2 (MOVE); op 3 is a live PUT.
        #expect(plan.clear?.opID == 2)
        #expect(plan.clear?.checksum == 30)
        #expect(plan.clear?.targetOp == 4)
    }

    @Test func aSingleLeadingRemoveStays() {
        let plan = CompactionPlan.plan([op(1, .remove, "a", 1), op(2, .put, "b", 2)])
        #expect(plan.moves.isEmpty)
        #expect(plan.clear == nil)
    }
}
