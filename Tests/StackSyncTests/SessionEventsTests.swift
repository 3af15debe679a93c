import StackBuckets
import StackPGOutput
import Testing

@testable import StackSync

@Suite struct SessionEventsTests {
    static func checkpoint(_ op: Int64) -> StackBuckets.Checkpoint {
        StackBuckets.Checkpoint(streamID: 1, opID: op, lsn: LSN(UInt64(op)))
    }

    @Test func keepsOnlyTheNewestCheckpointAndTicksFirst() async {
        let events = SessionEvents()
        events.post(Self.checkpoint(1))
        events.post(Self.checkpoint(2))
        events.postTick()
        guard case .tick? = await events.next() else {
            Issue.record("a due tick comes first")
            return
        }
        guard case .checkpoint(let latest)? = await events.next() else {
            Issue.record("then the newest checkpoint")
            return
        }
        #expect(latest.opID == 2)
        events.finish()
        #expect(await events.next() == nil)
    }

    @Test func aWaitingReaderIsWokenByAPost() async {
        let events = SessionEvents()
        async let next = events.next()
        try? await Task.sleep(for: .milliseconds(50))
        events.post(Self.checkpoint(7))
        guard case .checkpoint(let value)? = await next else {
            Issue.record("expected the checkpoint")
            return
        }
        #expect(value.opID == 7)
    }

    @Test func cancellingAWaitingReaderEndsIt() async {
        let events = SessionEvents()
        let task = Task { await events.next() }
        try? await Task.sleep(for: .milliseconds(50))
        task.cancel()
        #expect(await task.value == nil)
    }
}
