import Hummingbird
import StackConfig

/// The HTTP routes of each server. Feature issues (auth, upload, sync) add theirs here.
enum Routes {
    /// Routes on `api.listen`: the app backend.
    static func api(config: StackConfig) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/api/health") { _, _ in HealthResponse(ok: true) }
        return router
    }

    /// Routes on `sync.listen`: the sync service.
    static func sync(gate: ReadinessGate) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/probes/liveness") { _, _ in ProbeResponse(ready: true) }
        router.get("/probes/startup") { _, _ in ProbeResponse(ready: true) }
        router.get("/probes/readiness") { _, _ in
            // Ready means the database is set up; replication readiness joins with the replication issue.
            let ready = await gate.detail(of: "database") != nil
            return Response(status: ready ? .ok : .serviceUnavailable, body: .init(byteBuffer: .init(string: "{\"ready\":\(ready)}")))
        }
        return router
    }
}

/// `{"ok": true}`.
struct HealthResponse: ResponseEncodable {
    let ok: Bool
}

/// `{"ready": true}`.
struct ProbeResponse: ResponseEncodable {
    let ready: Bool
}
