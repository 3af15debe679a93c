import StackFuzzing
import Testing

/// `onOwnThread` (used by the CPU-bound tests) runs its body off the concurrency pool, inside the calling task.
@Suite struct OwnThreadTests {
    @TaskLocal static var marker = "unset"

    @Test func bodyRunsOnItsOwnQueueAndKeepsTaskLocals() async throws {
        let (inside, marker) = await Self.$marker.withValue("set") {
            await onOwnThread { (isOnOwnThread, Self.marker) }
        }
        #expect(inside)
        #expect(marker == "set")
        #expect(!isOnOwnThread)
    }

    @Test func errorsComeBackToTheCaller() async {
        struct Failure: Error {}
        await #expect(throws: Failure.self) { try await onOwnThread { throw Failure() } }
    }
}
