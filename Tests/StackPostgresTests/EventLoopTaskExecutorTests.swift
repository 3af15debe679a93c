import NIOCore
import NIOPosix
import Testing

@testable import StackPostgres

@Suite struct EventLoopTaskExecutorTests {
    /// Nonisolated async code, as PostgresNIO's COPY writer is.
    nonisolated static func onLoop(_ loop: any EventLoop) async -> Bool {
        await Task.yield()
        return loop.inEventLoop
    }

    @Test("with the preference, nonisolated async code (PostgresNIO's COPY writer) runs on the connection's loop")
    func runsOnTheLoop() async {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        #expect(await Self.onLoop(loop) == false)
        let inside = await withTaskExecutorPreference(EventLoopTaskExecutor(loop)) {
            await Self.onLoop(loop)
        }
        #expect(inside)
    }
}
