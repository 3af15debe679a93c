import Hummingbird
import NIOCore
import StackPostgres

/// A tiny real HTTP server answering every GET with a fixed JSON body (a JWKS, a port holder).
struct TestListener: Sendable {
    let port: Int
    private let task: Task<Void, Error>

    /// Listens on `port` (a free one if nil; a stopped listener's port to bring it back).
    static func start(body: String = "{}", port: Int? = nil) async throws -> TestListener {
        let port = try port ?? PortProbe.freePort()
        let router = Router()
        router.get("/**") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        let (ready, continuation) = AsyncStream<Void>.makeStream()
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { _ in continuation.yield() })
        let task = Task { try await application.runService(gracefulShutdownSignals: []) }
        for await _ in ready { break }
        return TestListener(port: port, task: task)
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}
