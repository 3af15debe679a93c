import Foundation
import StackPostgres
import StackServer
import StackTesting
import Testing

@Suite("stack up lifecycle")
struct StackLifecycleTests {
    @Test("a stack comes up on ephemeral ports, serves health and probes, and stops cleanly")
    func upServeDown() async throws {
        let stack = try await TestStack.start()
        let health = try await HTTPTestClient.send(
            "GET", stack.endpoints.authURL.replacingOccurrences(of: "/api/auth", with: "/api/health"))
        #expect(health.status == 200)
        #expect(health.text == #"{"ok":true}"#)
        let readiness = try await HTTPTestClient.send("GET", stack.endpoints.syncURL + "/probes/readiness")
        #expect(readiness.status == 200)
        #expect(RunState(stateDir: stack.config.stateDir).read()?.pid == getpid())
        try await stack.stop()
        #expect(RunState(stateDir: stack.config.stateDir).read() == nil)
        // Both listening ports are released once stop() returns.
        #expect(PortProbe.isFree(host: "127.0.0.1", port: stack.config.api.listen.port))
        #expect(PortProbe.isFree(host: "127.0.0.1", port: stack.config.sync.listen.port))
    }
}
