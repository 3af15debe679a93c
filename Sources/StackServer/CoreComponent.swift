import Hummingbird

/// Health and probe routes every stack serves.
struct CoreComponent: StackComponent {
    let context: StackContext

    func addAPIRoutes(to router: Router<StackRequestContext>) {
        router.get("/api/health") { _, _ in HealthResponse(ok: true) }
    }

    func addSyncRoutes(to router: Router<StackRequestContext>) {
        let gate = context.gate
        let replicates = context.config.syncRules != nil
        router.get("/probes/liveness") { _, _ in ProbeResponse(ready: true) }
        router.get("/probes/startup") { _, _ in
            ProbeResponse(ready: await gate.detail(of: "database") != nil)
        }
        router.get("/probes/readiness") { _, _ in
            // Ready to serve streams: the database is set up and, with sync rules, a first checkpoint exists.
            let database = await gate.detail(of: "database") != nil
            let replicated = await gate.detail(of: "replication") != nil
            let ready = database && (!replicates || replicated)
            return Response(
                status: ready ? .ok : .serviceUnavailable,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: .init(string: "{\"ready\":\(ready)}")))
        }
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
