import Foundation
import StackPostgres
import StackTesting
import Testing

/// The auth server while its Postgres is stopped: 503 with Retry-After instead of a hang and a 500, the JWKS from
/// memory, and normal answers again once Postgres is back.
@Suite("auth availability", .serialized)
struct AuthAvailabilityTests {
    @Test("Postgres stopped: sign-in, get-session and upload answer 503 + Retry-After, the JWKS answers; then recovery")
    func postgresStopped() async throws {
        try await FaultRecoveryTests.withCluster { cluster in
            let database = try await cluster.makeDatabase(prefix: "avail")
            // No sync rules: only the auth server's behaviour is under test, not replication's.
            let yaml = AuthHarness.yaml().components(separatedBy: "sync_rules:")[0]
            let harness = AuthHarness(stack: try await TestStack.start(yaml: yaml, database: database))
            let (token, _) = try await harness.signUp("avail@example.com")
            let signIn = json(["email": "avail@example.com", "password": "correct horse battery"])
            let jwksBefore = try await harness.get("/jwks")
            #expect(jwksBefore.status == 200)
            let jwt = try await harness.jwt(session: token)

            try await Self.stop(cluster)
            let started = ContinuousClock.now
            let refused = try await harness.post("/sign-in/email", signIn)
            let elapsed = started.duration(to: .now)
            print("sign-in with Postgres stopped answered \(refused.status) after \(elapsed)")
            #expect(refused.status == 503, "\(refused.status) \(refused.text)")
            #expect(refused.header("retry-after") == String(DatabaseAvailability.retryAfterSeconds))
            let body = try refused.json()
            #expect(body["code"] as? String == "SERVICE_UNAVAILABLE")
            #expect((body["message"] as? String)?.contains("database is unavailable") == true)
            let session = try await harness.get("/get-session", headers: [("authorization", "Bearer \(token)")])
            #expect(session.status == 503, "\(session.status) \(session.text)")
            // The upload API too: 503 DATABASE_UNAVAILABLE with Retry-After, the connector keeps the transaction.
            let upload = try await HTTPTestClient.send(
                "PUT", harness.api + "/api/powersync/upload",
                headers: [("authorization", "Bearer \(jwt)"), ("content-type", "application/json")],
                body: Data(#"{"transactions":[{"op_id":"1","ops":[{"op":"PUT","table":"documents","id":"d1"}]}]}"#.utf8)
            )
            #expect(upload.status == 503 && upload.code == "DATABASE_UNAVAILABLE", "\(upload.status) \(upload.text)")
            #expect(upload.header("retry-after") == String(DatabaseAvailability.retryAfterSeconds))

            // Past the key ring's refresh interval (5 s): the keys come from memory, not from the stopped database.
            try await Task.sleep(for: .seconds(6))
            let jwksDuring = try await harness.get("/jwks")
            #expect(jwksDuring.status == 200, "\(jwksDuring.status) \(jwksDuring.text)")
            #expect(jwksDuring.text == jwksBefore.text)

            try await Self.start(cluster)
            let recovered = try await eventually(timeout: .seconds(60)) {
                try await harness.post("/sign-in/email", signIn)
            } until: {
                $0.status != 503
            }
            #expect(recovered.status == 200, "\(recovered.status) \(recovered.text)")
            let sessionAfter = try await harness.get("/get-session", headers: [("authorization", "Bearer \(token)")])
            #expect(sessionAfter.status == 200)
            try await harness.stack.stop()
        }
    }

    static func stop(_ cluster: TestPostgres) async throws {
        try await blocking {
            let managed = cluster.managed
            let stopped = try ProcessRunner.run(
                managed.binaries.path("pg_ctl"), ["stop", "-D", managed.dataDir, "-m", "fast", "-w", "-t", "60", "-s"],
                asUser: managed.runAs)
            guard stopped.status == 0 else {
                throw SyncTestError("pg_ctl stop failed (exit \(stopped.status)): \(stopped.output)")
            }
        }
    }

    static func start(_ cluster: TestPostgres) async throws {
        _ = try await blocking { try cluster.managed.start(logger: testLogger) }
    }
}
