import StackPGOutput
import Testing

@testable import StackBuckets

@Suite struct CheckpointNotifierTests {
    static func checkpoint(stream: Int = 1, _ op: Int64, lsn: UInt64) -> Checkpoint {
        Checkpoint(streamID: stream, opID: op, lsn: LSN(lsn))
    }

    @Test func olderCheckpointsAndOlderStreamsAreNotPublished() {
        let notifier = CheckpointNotifier()
        notifier.publish(Self.checkpoint(5, lsn: 50))
        notifier.publish(Self.checkpoint(4, lsn: 40))
        #expect(notifier.current == Self.checkpoint(5, lsn: 50))
        // Same op id, later LSN (a keepalive): published, write checkpoints resolve against it.
        notifier.publish(Self.checkpoint(5, lsn: 60))
        #expect(notifier.current == Self.checkpoint(5, lsn: 60))
        notifier.publish(Self.checkpoint(stream: 2, 1, lsn: 70))
        notifier.publish(Self.checkpoint(stream: 1, 9, lsn: 80))
        #expect(notifier.current == Self.checkpoint(stream: 2, 1, lsn: 70))
    }

    @Test func newestReplacesASupersededCheckpointOfTheSameStreamOnly() {
        let notifier = CheckpointNotifier()
        let old = Self.checkpoint(3, lsn: 30)
        #expect(notifier.newest(old) == old)
        notifier.publish(Self.checkpoint(7, lsn: 70))
        #expect(notifier.newest(old) == Self.checkpoint(7, lsn: 70))
        // Not older than the current one: kept as it is.
        let ahead = Self.checkpoint(8, lsn: 90)
        #expect(notifier.newest(ahead) == ahead)
        let otherStream = Self.checkpoint(stream: 2, 1, lsn: 10)
        #expect(notifier.newest(otherStream) == otherStream)
    }
}
