import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import StackCore

/// One HTTP server of the stack (api or sync), started once its dependencies are ready.
struct HTTPService: Service {
    let name: String
    let address: ListenAddress
    let makeRouter: @Sendable () -> Router<StackRequestContext>
    let dependencies: Set<String>
    let gate: ReadinessGate
    let logger: Logger

    func run() async throws {
        do {
            try await gate.wait(for: dependencies)
        } catch {
            // A dependency failed or stack is stopping before it was ready: end when the group asks.
            try? await gracefulShutdown()
            return
        }
        let gate = self.gate
        let name = self.name
        let application = Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "stack"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                await gate.markReady(name, detail: String(port))
            },
            logger: logger)
        do {
            try await application.run()
        } catch {
            await gate.markFailed(name, reason: "cannot serve on \(address): \(error)")
            throw error
        }
    }
}
