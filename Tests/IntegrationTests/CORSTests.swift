import Foundation
import StackTesting
import Testing

/// CORS on both ports, as a browser on another origin sees it: preflights answered with 204, actual responses carrying
/// `Access-Control-Allow-Origin`; cookie routes only for trusted origins, bearer routes for any origin.
@Suite("CORS")
struct CORSTests {
    static let page = "http://localhost:3000"
    static let trusted = "http://app.example.com"

    static func preflight(_ url: String, origin: String, method: String = "POST", headers: String? = nil)
        async throws -> HTTPTestClient.Response
    {
        var fields = [("origin", origin), ("access-control-request-method", method)]
        if let headers { fields.append(("access-control-request-headers", headers)) }
        return try await HTTPTestClient.send("OPTIONS", url, headers: fields)
    }

    @Test("preflights of sync, upload and auth routes get 204 with the origin, methods, requested headers and max-age")
    func preflights() async throws {
        let harness = try await AuthHarness.start()
        let sync = try await Self.preflight(
            harness.stack.endpoints.syncURL + "/sync/stream", origin: Self.page,
            headers: "authorization,content-type,x-user-agent")
        #expect(sync.status == 204, "\(sync.status) \(sync.text)")
        #expect(sync.header("access-control-allow-origin") == Self.page)
        #expect(sync.header("access-control-allow-methods")?.contains("POST") == true)
        let allowed = sync.header("access-control-allow-headers") ?? ""
        #expect(allowed == "authorization, content-type, x-user-agent")
        #expect(sync.header("access-control-max-age") == "7200")
        #expect(sync.header("access-control-allow-credentials") == nil)
        #expect(sync.header("vary") == "Origin")

        let upload = try await Self.preflight(
            harness.api + "/api/powersync/upload", origin: Self.page, method: "PUT",
            headers: "Authorization, Content-Type, X-Client-Id, bad header, x(y), ")
        #expect(upload.status == 204)
        #expect(upload.header("access-control-allow-origin") == Self.page)
        #expect(upload.header("access-control-allow-methods")?.contains("PUT") == true)
        #expect(upload.header("access-control-allow-headers") == "authorization, content-type, x-client-id")

        let signIn = try await Self.preflight(
            harness.auth + "/sign-in/email", origin: Self.trusted, headers: "content-type")
        #expect(signIn.status == 204)
        #expect(signIn.header("access-control-allow-origin") == Self.trusted)
        #expect(signIn.header("access-control-allow-credentials") == "true")

        // The auth base URL's own origin is trusted too; an untrusted page gets no grant for a cookie route.
        let own = try await Self.preflight(harness.auth + "/get-session", origin: harness.origin, method: "GET")
        #expect(own.header("access-control-allow-origin") == harness.origin)
        let untrusted = try await Self.preflight(harness.auth + "/sign-in/email", origin: Self.page)
        #expect(untrusted.status == 204)
        #expect(untrusted.header("access-control-allow-origin") == nil)
        #expect(untrusted.header("access-control-allow-credentials") == nil)
        try await harness.stack.stop()
    }

    @Test("actual responses carry Allow-Origin and Vary: Origin; credentials on auth routes; none for untrusted pages")
    func actualResponses() async throws {
        let harness = try await AuthHarness.start()
        let signUp = try await harness.post(
            "/sign-up/email", json(["name": "Ada", "email": "cors@example.com", "password": "correct horse battery"]),
            headers: [("origin", Self.trusted)])
        #expect(signUp.status == 200, "\(signUp.text)")
        #expect(signUp.header("access-control-allow-origin") == Self.trusted)
        #expect(signUp.header("access-control-allow-credentials") == "true")
        #expect(signUp.header("vary") == "Origin")
        #expect(signUp.header("access-control-expose-headers")?.contains("set-auth-token") == true)

        let jwks = try await harness.get("/jwks", headers: [("origin", Self.page)])
        #expect(jwks.status == 200)
        #expect(jwks.header("access-control-allow-origin") == nil)

        // Bearer routes: any origin, also on errors (the page must be able to read a 401's reason).
        let stream = try await HTTPTestClient.send(
            "POST", harness.stack.endpoints.syncURL + "/sync/stream",
            headers: [("origin", Self.page), ("content-type", "application/json")], body: Data("{}".utf8))
        #expect(stream.status == 401)
        #expect(stream.header("access-control-allow-origin") == Self.page)
        #expect(stream.header("access-control-allow-credentials") == nil)
        let upload = try await HTTPTestClient.send(
            "PUT", harness.api + "/api/powersync/upload", headers: [("origin", Self.page)],
            body: Data("{}".utf8))
        #expect(upload.status == 401)
        #expect(upload.header("access-control-allow-origin") == Self.page)
        let missing = try await HTTPTestClient.send(
            "GET", harness.stack.endpoints.syncURL + "/nothing-here", headers: [("origin", Self.page)])
        #expect(missing.status == 404)
        #expect(missing.header("access-control-allow-origin") == Self.page)

        // Without Origin (curl, native apps) nothing changes.
        let plain = try await harness.get("/ok")
        #expect(plain.header("access-control-allow-origin") == nil && plain.header("vary") == nil)
        try await harness.stack.stop()
    }
}
