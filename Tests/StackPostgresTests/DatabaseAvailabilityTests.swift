import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import StackPostgres

/// The gate's decisions with a probe the test controls, and the TCP probe against real sockets.
@Suite struct DatabaseAvailabilityTests {
    /// A probe answer the test can change, and how often it was asked.
    final class Network: @unchecked Sendable {
        private let lock = NSLock()
        private var up: Bool
        private var asked = 0
        init(up: Bool) { self.up = up }
        func set(up: Bool) { lock.withLock { self.up = up } }
        func probe() -> Bool {
            lock.withLock {
                asked += 1; return up
            }
        }
        var probes: Int { lock.withLock { asked } }
    }

    struct Broken: Error {}

    @Test("a slow request while the port answers is not a 503; one while it is refused is, and later ones fail fast")
    func slowRequests() async throws {
        let network = Network(up: true)
        let gate = DatabaseAvailability(probeAfter: .milliseconds(100)) { network.probe() }
        let slow = try await gate.guarding {
            try await Task.sleep(for: .milliseconds(450))
            return 7
        }
        #expect(slow == 7)
        #expect(network.probes >= 1, "a request waiting longer than probeAfter is probed for")

        network.set(up: false)
        let started = ContinuousClock.now
        // The request would take two minutes: the watchdog answers (the shared machines of CI have taken 10 s to
        // run it when the concurrency pool was busy).
        await #expect(throws: DatabaseUnavailable.self) {
            try await gate.guarding { try await Task.sleep(for: .seconds(120)) }
        }
        #expect(started.duration(to: .now) < .seconds(60), "the watchdog answers, not the request")
        let ran = Network(up: true)
        await #expect(throws: DatabaseUnavailable.self) {
            try await gate.guarding { _ = ran.probe() }
        }
        #expect(ran.probes == 0, "while the outage is confirmed, work does not even start")

        network.set(up: true)
        try await Task.sleep(for: .milliseconds(1_100))  // past the cached probe
        #expect(try await gate.guarding { 8 } == 8)
    }

    @Test("a failure that is not a statement's is a 503 only when the probe confirms Postgres is gone")
    func failuresAreCheckedAgainstTheNetwork() async throws {
        let network = Network(up: true)
        let gate = DatabaseAvailability(probeAfter: .seconds(30)) { network.probe() }
        await #expect(throws: Broken.self) { try await gate.guarding { throw Broken() } }
        network.set(up: false)
        await #expect(throws: DatabaseUnavailable.self) { try await gate.guarding { throw Broken() } }
        // The request's own error says so: no probe needed to answer 503.
        network.set(up: true)
        try await Task.sleep(for: .milliseconds(1_100))
        let before = network.probes
        await #expect(throws: DatabaseUnavailable.self) {
            try await gate.guarding { throw PostgresConnectionClosed() }
        }
        #expect(network.probes == before + 1, "suspected down from the last failure, so checked once before work")
    }

    @Test("TCP probe: a listening port is accepted, a closed one refused; timeouts are not 'down'")
    func tcpProbe() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(server.localAddress?.port)
        #expect(await PortProbe.connect(host: "127.0.0.1", port: port, timeout: .seconds(2)) == .accepted)
        try await server.close()
        let closed = await PortProbe.connect(host: "127.0.0.1", port: port, timeout: .seconds(2))
        guard case .refused = closed else {
            Issue.record("a closed port gave \(closed)")
            return
        }
        #expect(PortProbe.outcome(of: ChannelError.connectTimeout(.seconds(2))) == .noAnswer)
        #expect(PortProbe.outcome(of: IOError(errnoCode: EMFILE, reason: "socket")) == .noAnswer)
        #expect(PortProbe.outcome(of: IOError(errnoCode: EHOSTUNREACH, reason: "connect")) != .noAnswer)
    }
}
