import Crypto
import Foundation
import StackTesting
import Testing

/// `rememberMe: false` as BetterAuth 1.x does it (cookies/index.ts `setSessionCookie`, routes/session.ts): a 1-day
/// session, a session cookie without Max-Age, a signed `better-auth.dont_remember=true` cookie, and get-session
/// never extends the session while that cookie is present and correctly signed.
@Suite("auth rememberMe: false")
struct AuthRememberMeTests {
    static let secret = "test-secret-0123456789abcdef0123456789"
    static let dontRemember = "better-auth.dont_remember"
    static let sessionCookie = "better-auth.session_token"

    /// `true.<base64 HMAC-SHA256(secret, "true")>`, URL-encoded as better-call writes it (computed here, not by stack).
    static var signedTrue: String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("true".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        let value = "true." + Data(mac).base64EncodedString()
        return value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.!~*'()")))!
    }

    func expiresAt(_ response: HTTPTestClient.Response) throws -> Date {
        let session = try #require(try response.json()["session"] as? [String: Any])
        return try #require(ISO8601DateFormatter.withFractions.date(from: session["expiresAt"] as? String ?? ""))
    }

    func signIn(_ harness: AuthHarness, _ email: String, rememberMe: Bool?) async throws -> HTTPTestClient.Response {
        var body: [String: Any] = ["email": email, "password": "correct horse battery"]
        if let rememberMe { body["rememberMe"] = rememberMe }
        let response = try await harness.post("/sign-in/email", json(body))
        #expect(response.status == 200, "\(response.text)")
        return response
    }

    @Test("sign-in: browser-session cookie, signed dont_remember cookie, 1-day session that get-session never extends")
    func signInWithoutRemember() async throws {
        let harness = try await AuthHarness.start()
        try await harness.signUp("forget@example.com")
        let signIn = try await signIn(harness, "forget@example.com", rememberMe: false)
        let session = try #require(signIn.setCookies.first { $0.hasPrefix(Self.sessionCookie + "=") })
        #expect(!session.contains("Max-Age"), "\(session)")
        #expect(session.hasSuffix("; Path=/; HttpOnly; SameSite=Lax"), "\(session)")
        let marker = try #require(signIn.setCookies.first { $0.hasPrefix(Self.dontRemember + "=") })
        #expect(marker == "\(Self.dontRemember)=\(Self.signedTrue); Path=/; HttpOnly; SameSite=Lax")
        #expect(signIn.header("set-auth-token") != nil)
        let token = try #require(try signIn.json()["token"] as? String)
        let stored = try await harness.sql(
            #"SELECT extract(epoch FROM "expiresAt" - now())::float8 FROM "session" WHERE "token" = \#(token)"#)
        #expect(abs(try stored[0].decode(Double.self) - 86_400) < 60)

        // Both cookies, as a browser sends them: the 1-day session is due for refresh by BetterAuth's formula
        // (expiresAt - 7 d + 1 d <= now) but stays as it is, and no cookie is set again.
        let cookies = "\(Self.sessionCookie)=\(try #require(signIn.cookie(Self.sessionCookie))); "
            + "\(Self.dontRemember)=\(try #require(signIn.cookie(Self.dontRemember)))"
        for _ in 0..<2 {
            let kept = try await harness.get("/get-session", headers: [("cookie", cookies)])
            #expect(abs(try expiresAt(kept).timeIntervalSinceNow - 86_400) < 60)
            #expect(kept.setCookies.isEmpty && kept.header("set-auth-token") == nil)
            #expect(kept.header("set-auth-jwt") != nil)
        }

        // A dont_remember cookie with a wrong signature does not count (better-call getSignedCookie → false): the
        // session slides to 7 days and the cookie is re-set with Max-Age, without a new dont_remember cookie.
        let forged = cookies.replacingOccurrences(of: Self.dontRemember + "=true.", with: Self.dontRemember + "=true.A")
        let refreshed = try await harness.get("/get-session", headers: [("cookie", forged)])
        #expect(abs(try expiresAt(refreshed).timeIntervalSinceNow - 7 * 86_400) < 60)
        let again = try #require(refreshed.setCookies.first { $0.hasPrefix(Self.sessionCookie + "=") })
        #expect(again.contains("Max-Age=604800"))
        #expect(!refreshed.setCookies.contains { $0.hasPrefix(Self.dontRemember + "=") })
        try await harness.stack.stop()
    }

    @Test("the marker is a cookie only: a bearer client's rememberMe:false session slides like any other")
    func bearerSlides() async throws {
        let harness = try await AuthHarness.start()
        try await harness.signUp("bearer-forget@example.com")
        let signIn = try await signIn(harness, "bearer-forget@example.com", rememberMe: false)
        let bearer = try #require(signIn.header("set-auth-token"))
        let viaBearer = try await harness.get("/get-session", headers: [("authorization", "Bearer \(bearer)")])
        #expect(abs(try expiresAt(viaBearer).timeIntervalSinceNow - 7 * 86_400) < 60)
        // rememberMe: true (explicit or absent) sets no marker and a 7-day cookie.
        for remember in [true, nil] as [Bool?] {
            let remembered = try await self.signIn(harness, "bearer-forget@example.com", rememberMe: remember)
            #expect(remembered.cookie(Self.dontRemember) == nil)
            #expect(remembered.setCookies.first { $0.hasPrefix(Self.sessionCookie + "=") }?.contains("Max-Age=604800") == true)
        }
        try await harness.stack.stop()
    }

    @Test("sign-up honours rememberMe: false too; sign-out clears both cookies")
    func signUpAndSignOut() async throws {
        let harness = try await AuthHarness.start()
        let response = try await harness.post(
            "/sign-up/email",
            json(["name": "F", "email": "new-forget@example.com", "password": "correct horse battery", "rememberMe": false]))
        #expect(response.status == 200, "\(response.text)")
        #expect(response.cookie(Self.dontRemember) == Self.signedTrue)
        #expect(response.setCookies.first { $0.hasPrefix(Self.sessionCookie + "=") }?.contains("Max-Age") == false)
        let token = try #require(try response.json()["token"] as? String)
        let stored = try await harness.sql(
            #"SELECT extract(epoch FROM "expiresAt" - now())::float8 FROM "session" WHERE "token" = \#(token)"#)
        #expect(abs(try stored[0].decode(Double.self) - 86_400) < 60)

        let cookies = "\(Self.sessionCookie)=\(try #require(response.cookie(Self.sessionCookie))); "
            + "\(Self.dontRemember)=\(Self.signedTrue)"
        let out = try await harness.post("/sign-out", "{}", headers: [("cookie", cookies), ("origin", harness.origin)])
        #expect(out.status == 200)
        #expect(out.setCookies.contains { $0.hasPrefix(Self.sessionCookie + "=;") && $0.contains("Max-Age=0") })
        #expect(out.setCookies.contains { $0.hasPrefix(Self.dontRemember + "=;") && $0.contains("Max-Age=0") })
        #expect(try await harness.get("/get-session", headers: [("cookie", cookies)]).text == "null")
        try await harness.stack.stop()
    }
}
