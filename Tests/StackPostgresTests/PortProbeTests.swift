import Testing

@testable import StackPostgres

@Suite struct PortProbeTests {
    @Test("free ports come from below the ephemeral range, so outgoing connections cannot take them after a restart")
    func freePortsAvoidTheEphemeralRange() throws {
        let ephemeral = PortProbe.ephemeralRange()
        for _ in 0..<20 {
            let port = try PortProbe.freePort()
            #expect(!ephemeral.contains(port), "\(port) is in \(ephemeral)")
            #expect(port >= 20_000)
            #expect(PortProbe.isFree(host: "127.0.0.1", port: port))
        }
    }
}
