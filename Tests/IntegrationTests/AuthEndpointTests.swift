import Foundation
import PostgresNIO
import StackAuth
import StackTesting
import Testing

@Suite("auth server endpoints")
struct AuthEndpointTests {
    @Test("sign-up creates user, credential account and session; sign-in works with any email case")
    func signUpAndSignIn() async throws {
        let harness = try await AuthHarness.start()
        let response = try await harness.post(
            "/sign-up/email",
            json(["name": "Ada", "email": "Ada.Lovelace@Example.COM", "password": "analytical-engine"]))
        #expect(response.status == 200)
        let body = try response.json()
        let user = try #require(body["user"] as? [String: Any])
        let token = try #require(body["token"] as? String)
        #expect(user["email"] as? String == "ada.lovelace@example.com")
        #expect(user["emailVerified"] as? Bool == false)
        #expect(user.keys.contains("image"))
        let cookie = try #require(response.setCookies.first { $0.hasPrefix("better-auth.session_token=") })
        #expect(cookie.contains("Max-Age=604800") && cookie.contains("Path=/") && cookie.contains("HttpOnly"))
        #expect(cookie.contains("SameSite=Lax") && !cookie.contains("Secure"))
        let signed = try #require(response.header("set-auth-token"))
        #expect(signed.hasPrefix(token + ".") && signed.count == token.count + 45)
        #expect(response.header("access-control-expose-headers")?.contains("set-auth-token") == true)

        let rows = try await harness.sql(
            """
            SELECT a."providerId", a."accountId", a."password", s."token" FROM "user" u
            JOIN "account" a ON a."userId" = u."id" JOIN "session" s ON s."userId" = u."id"
            WHERE u."email" = 'ada.lovelace@example.com'
            """)
        let (provider, accountID, password, stored) = try rows[0].decode((String, String, String, String).self)
        #expect(provider == "credential" && accountID == user["id"] as? String && stored == token)
        let parts = password.split(separator: ":")
        #expect(parts.count == 2 && parts[0].count == 32 && parts[1].count == 128)

        let signIn = try await harness.post(
            "/sign-in/email", json(["email": "ADA.LOVELACE@example.com", "password": "analytical-engine"]))
        #expect(signIn.status == 200)
        let signInBody = try signIn.json()
        #expect(signInBody["redirect"] as? Bool == false)
        #expect((signInBody["user"] as? [String: Any])?["id"] as? String == user["id"] as? String)
        #expect(signIn.header("set-auth-token") != nil)
        try await harness.stack.stop()
    }

    // Messages are better-call's joined zod 4 issues (sign-up's schema is `z.object(…).and(z.record(…))`, so a
    // non-object body fails both sides); a bad email or an empty password fails that schema too (BetterAuth ≥ 1.4.8).
    @Test(
        "sign-up refuses malformed, missing and mistyped input with BetterAuth's codes and messages",
        arguments: [
            ("{not json", 400, "VALIDATION_ERROR", nil),
            (
                "", 400, "VALIDATION_ERROR",
                "[body] Invalid input: expected object, received undefined; [body] Invalid input: expected record, received undefined"
            ),
            (
                "[1,2]", 400, "VALIDATION_ERROR",
                "[body] Invalid input: expected object, received array; [body] Invalid input: expected record, received array"
            ),
            ("\"text\"", 400, "VALIDATION_ERROR", nil),
            (
                #"{"email":"a@example.com","password":"12345678"}"#, 400, "VALIDATION_ERROR",
                "[body.name] Invalid input: expected string, received undefined"
            ),
            (
                #"{"name":"A","password":"12345678"}"#, 400, "VALIDATION_ERROR",
                "[body.email] Invalid input: expected string, received undefined"
            ),
            (
                #"{"name":"A","email":"a@example.com"}"#, 400, "VALIDATION_ERROR",
                "[body.password] Invalid input: expected string, received undefined"
            ),
            (
                #"{"name":42,"email":"a@example.com","password":"12345678"}"#, 400, "VALIDATION_ERROR",
                "[body.name] Invalid input: expected string, received number"
            ),
            (
                #"{"name":"A","email":["a@example.com"],"password":"12345678"}"#, 400, "VALIDATION_ERROR",
                "[body.email] Invalid input: expected string, received array"
            ),
            (
                #"{"name":"A","email":"a@example.com","password":12345678}"#, 400, "VALIDATION_ERROR",
                "[body.password] Invalid input: expected string, received number"
            ),
            (
                #"{"name":"A","email":"a@example.com","password":"12345678","rememberMe":"yes"}"#, 400,
                "VALIDATION_ERROR",
                "[body.rememberMe] Invalid input: expected boolean, received string"
            ),
            (
                #"{"name":"A","email":"a@example.com","password":"12345678","image":7}"#, 400, "VALIDATION_ERROR",
                "[body.image] Invalid input: expected string, received number"
            ),
            (
                #"{"name":"A","email":"a@example.com","password":"12345678","image":null}"#, 400, "VALIDATION_ERROR",
                "[body.image] Invalid input: expected string, received null"
            ),
            (
                #"{"name":"A","email":"not-an-email","password":"12345678"}"#, 400, "VALIDATION_ERROR",
                "[body.email] Invalid email address"
            ),
            (
                #"{"name":"A","email":"a@example","password":"12345678"}"#, 400, "VALIDATION_ERROR",
                "[body.email] Invalid email address"
            ),
            (
                #"{"name":"A","email":"a@example.com","password":""}"#, 400, "VALIDATION_ERROR",
                "[body.password] Too small: expected string to have >=1 characters"
            ),
            (
                #"{"email":"bad","password":""}"#, 400, "VALIDATION_ERROR",
                "[body.name] Invalid input: expected string, received undefined; [body.email] Invalid email address; "
                    + "[body.password] Too small: expected string to have >=1 characters"
            ),
            (
                #"{"name":"A","email":"a@example.com","password":"1234567"}"#, 400, "PASSWORD_TOO_SHORT",
                "Password too short"
            ),
        ] as [(String, Int, String, String?)])
    func signUpRejections(body: String, status: Int, code: String, message: String?) async throws {
        let harness = try await AuthHarness.start()
        let response = try await harness.post("/sign-up/email", body)
        #expect(response.status == status, "\(body): \(response.text)")
        #expect(response.code == code, "\(body): \(response.text)")
        let answered = try response.json()["message"] as? String
        #expect(answered?.isEmpty == false)
        if let message { #expect(answered == message, "\(body)") }
        let count = try await harness.sql(#"SELECT count(*)::int FROM "user""#)[0].decode(Int.self)
        #expect(count == 0)
        try await harness.stack.stop()
    }

    @Test("password length limits count UTF-16 units; unicode passwords are NFKC-normalised; case-only duplicates")
    func passwordsAndDuplicates() async throws {
        let harness = try await AuthHarness.start()
        let longest = String(repeating: "p", count: 128)
        try await harness.signUp("long@example.com", password: longest)
        let tooLong = try await harness.post(
            "/sign-up/email", json(["name": "L", "email": "long2@example.com", "password": longest + "p"]))
        #expect(tooLong.status == 400 && tooLong.code == "PASSWORD_TOO_LONG")
        // 64 emoji are 128 UTF-16 units (accepted); 65 are 130 (refused), although both are few characters.
        let emoji = String(repeating: "🔑", count: 64)
        try await harness.signUp("emoji@example.com", password: emoji)
        let tooManyEmoji = try await harness.post(
            "/sign-up/email", json(["name": "E", "email": "emoji2@example.com", "password": emoji + "🔑"]))
        #expect(tooManyEmoji.code == "PASSWORD_TOO_LONG")
        let signInLong = try await harness.post(
            "/sign-in/email", json(["email": "long@example.com", "password": longest]))
        #expect(signInLong.status == 200)

        // "é" precomposed at sign-up, decomposed at sign-in: the same password after NFKC.
        try await harness.signUp("unicode@example.com", password: "mot de passe \u{e9}t\u{e9} ﬁ")
        let decomposed = try await harness.post(
            "/sign-in/email", json(["email": "unicode@example.com", "password": "mot de passe e\u{301}te\u{301} fi"]))
        #expect(decomposed.status == 200, "\(decomposed.text)")

        let duplicate = try await harness.post(
            "/sign-up/email", json(["name": "D", "email": "UNICODE@Example.com", "password": "whatever-123"]))
        #expect(duplicate.status == 422 && duplicate.code == "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL")
        try await harness.stack.stop()
    }

    @Test("sign-in refuses wrong passwords and unknown emails alike, and bad bodies")
    func signInRejections() async throws {
        let harness = try await AuthHarness.start()
        try await harness.signUp("grace@example.com", password: "compiler-1952")
        for _ in 0..<3 {
            let wrong = try await harness.post(
                "/sign-in/email", json(["email": "grace@example.com", "password": "nope-nope"]))
            #expect(wrong.status == 401 && wrong.code == "INVALID_EMAIL_OR_PASSWORD")
            let unknown = try await harness.post(
                "/sign-in/email", json(["email": "nobody@example.com", "password": "nope-nope"]))
            #expect(unknown.status == 401 && unknown.code == "INVALID_EMAIL_OR_PASSWORD")
            #expect(unknown.text == wrong.text)
        }
        // Sign-in's schema takes email as any string; the handler answers a bad one with INVALID_EMAIL (sign-in.ts).
        for (body, code, message) in [
            ("{", "VALIDATION_ERROR", nil),
            (
                #"{"email":"grace@example.com"}"#, "VALIDATION_ERROR",
                "[body.password] Invalid input: expected string, received undefined"
            ),
            (
                #"{"email":1,"password":"x"}"#, "VALIDATION_ERROR",
                "[body.email] Invalid input: expected string, received number"
            ),
            (#"{"email":"bad","password":"x"}"#, "INVALID_EMAIL", "Invalid email"),
            (#"{"email":"","password":""}"#, "INVALID_EMAIL", "Invalid email"),
            ("[]", "VALIDATION_ERROR", "[body] Invalid input: expected object, received array"),
            (
                #"{"email":"grace@example.com","password":"compiler-1952","rememberMe":1}"#, "VALIDATION_ERROR",
                "[body.rememberMe] Invalid input: expected boolean, received number"
            ),
        ] as [(String, String, String?)] {
            let response = try await harness.post("/sign-in/email", body)
            if let message { #expect(try response.json()["message"] as? String == message, "\(body)") }
            #expect(response.status == 400 && response.code == code, "\(body): \(response.text)")
        }
        try await harness.stack.stop()
    }

    @Test("callbackURL: a local path or a trusted origin is answered redirect true with the url; others are 403")
    func callbackURL() async throws {
        let harness = try await AuthHarness.start()
        try await harness.signUp("cb@example.com")
        func signIn(_ callbackURL: String?) async throws -> (status: Int, code: String?, body: [String: Any]) {
            var body: [String: Any] = ["email": "cb@example.com", "password": "correct horse battery"]
            if let callbackURL { body["callbackURL"] = callbackURL }
            let response = try await harness.post("/sign-in/email", json(body))
            return (response.status, response.code, try response.json())
        }
        let plain = try await signIn(nil)
        #expect(plain.status == 200 && plain.body["redirect"] as? Bool == false && plain.body["url"] == nil)
        for good in ["/dashboard", "/a/b?tab=1&x=%20", "http://app.example.com/welcome", harness.origin + "/home"] {
            let answer = try await signIn(good)
            #expect(answer.status == 200, "\(good)")
            #expect(answer.body["redirect"] as? Bool == true && answer.body["url"] as? String == good, "\(good)")
        }
        for bad in [
            "http://evil.example/x", "//evil.example", "/\\evil.example", "/%2fevil.example", "javascript:alert(1)",
        ] {
            let answer = try await signIn(bad)
            #expect(answer.status == 403 && answer.code == "INVALID_CALLBACKURL", "\(bad)")
            #expect(answer.body["token"] == nil, "\(bad)")
        }
        // Checked before anything is written: no user for a sign-up with an untrusted callbackURL.
        let refused = try await harness.post(
            "/sign-up/email",
            json([
                "name": "Eve", "email": "eve@example.com", "password": "correct horse battery",
                "callbackURL": "https://evil.example/",
            ]))
        #expect(refused.status == 403 && refused.code == "INVALID_CALLBACKURL")
        let count = try await scalar(
            harness.stack.database.databaseURL, #"SELECT count(*)::text FROM "user" WHERE email = 'eve@example.com'"#)
        #expect(count == "0")
        try await harness.stack.stop()
    }

    @Test("a body over 64 KiB is 413 PAYLOAD_TOO_LARGE, with and without Content-Length; 64 KiB exactly is read")
    func oversizedBody() async throws {
        let harness = try await AuthHarness.start()
        let limit = 64 * 1024
        let padding = String(repeating: "x", count: limit)
        let large = json(["email": "big@example.com", "password": "x", "padding": padding])
        let declared = try await harness.post("/sign-in/email", large)
        #expect(declared.status == 413, "\(declared.status) \(declared.text)")
        #expect(declared.code == "PAYLOAD_TOO_LARGE")
        #expect(try declared.json()["message"] as? String == "The request body is larger than 65536 bytes")

        // Chunked, so only reading the body finds out.
        let chunked = try await HTTPTestClient.sendChunked(
            "POST", harness.auth + "/sign-up/email", headers: [("content-type", "application/json")],
            chunks: [Data(large.utf8.prefix(1000)), Data(large.utf8.dropFirst(1000))])
        #expect(chunked.status == 413, "\(chunked.status) \(chunked.text)")

        var exact = #"{"email":"big@example.com","password":"x","p":""}"#
        exact.insert(
            contentsOf: String(repeating: "y", count: limit - exact.utf8.count),
            at: exact.index(exact.endIndex, offsetBy: -2))
        #expect(exact.utf8.count == limit)
        let fits = try await harness.post("/sign-in/email", exact)
        #expect(fits.status == 401 && fits.code == "INVALID_EMAIL_OR_PASSWORD", "\(fits.status) \(fits.text)")
        try await harness.stack.stop()
    }

    @Test("an unknown email costs one scrypt verification, like a wrong password; so does the right one")
    func unknownEmailCostsAVerification() async throws {
        let harness = try await AuthHarness.start()
        try await harness.signUp("grace@example.com", password: "compiler-1952")
        let config = harness.stack.config
        try await PostgresClient.withClient(harness.stack.database.databaseURL, logger: AuthHarness.logger) { client in
            let service = try AuthService(
                configuration: AuthConfiguration(config: config, secret: config.auth.secret ?? ""), client: client,
                logger: AuthHarness.logger)
            let caller = AuthService.Client(ipAddress: "127.0.0.1", userAgent: "test")
            func attempt(_ email: String, _ password: String) async -> Bool {
                (try? await service.signIn(email: email, password: password, rememberMe: true, client: caller)) != nil
            }
            // Without the dummy verification an unknown email would answer at once, telling which emails exist.
            #expect(service.hasher.verifications == 0)
            #expect(await attempt("grace@example.com", "nope-nope") == false)
            #expect(service.hasher.verifications == 1)
            #expect(await attempt("nobody@example.com", "nope-nope") == false)
            #expect(service.hasher.verifications == 2)
            #expect(await attempt("GRACE@example.com", "compiler-1952") == true)
            #expect(service.hasher.verifications == 3)
        }
        try await harness.stack.stop()
    }

    @Test("get-session: cookie and bearer work; tampered, unknown and expired sessions are null; sliding expiry")
    func getSession() async throws {
        let harness = try await AuthHarness.start()
        let (token, userID) = try await harness.signUp("session@example.com")
        let signed = try await harness.post(
            "/sign-in/email", json(["email": "session@example.com", "password": "correct horse battery"]))
        let cookieValue = try #require(signed.cookie("better-auth.session_token"))

        let viaCookie = try await harness.get(
            "/get-session", headers: [("cookie", "better-auth.session_token=\(cookieValue)")])
        #expect(viaCookie.status == 200)
        #expect(viaCookie.header("cache-control") == "no-store")
        let session = try #require(try viaCookie.json()["session"] as? [String: Any])
        #expect(session["userId"] as? String == userID)
        #expect(
            Set(session.keys) == [
                "id", "token", "userId", "expiresAt", "createdAt", "updatedAt", "ipAddress", "userAgent",
            ])
        let jwt = try #require(viaCookie.header("set-auth-jwt"))
        #expect(jwt.split(separator: ".").count == 3)
        #expect(viaCookie.setCookies.isEmpty)

        for bearer in [token, try #require(signed.header("set-auth-token"))] {
            let viaBearer = try await harness.get("/get-session", headers: [("authorization", "Bearer \(bearer)")])
            #expect((try viaBearer.json()["user"] as? [String: Any])?["id"] as? String == userID)
        }

        // A flipped signature character: no session, and the cookie is cleared.
        var tampered = Array(cookieValue)
        let index = tampered.index(tampered.endIndex, offsetBy: -8)
        tampered[index] = tampered[index] == "A" ? "B" : "A"
        let badCookie = try await harness.get(
            "/get-session", headers: [("cookie", "better-auth.session_token=\(String(tampered))")])
        #expect(badCookie.status == 200 && badCookie.text == "null")
        let badBearer = try await harness.get(
            "/get-session", headers: [("authorization", "Bearer \(String(tampered))")])
        #expect(badBearer.text == "null")
        let unknown = try await harness.get(
            "/get-session", headers: [("authorization", "Bearer unknownunknownunknownunknown1234")])
        #expect(unknown.text == "null")
        let none = try await harness.get("/get-session")
        #expect(none.status == 200 && none.text == "null")

        // Sliding expiry: a session last refreshed 2 days ago is pushed to now + 7 days and the cookie re-set.
        _ = try await harness.sql(
            #"UPDATE "session" SET "expiresAt" = now() + interval '5 days' WHERE "token" = \#(token)"#)
        let refreshed = try await harness.get("/get-session", headers: [("authorization", "Bearer \(token)")])
        let refreshedSession = try #require(try refreshed.json()["session"] as? [String: Any])
        let expiresAt = try #require(
            ISO8601DateFormatter.withFractions.date(from: refreshedSession["expiresAt"] as? String ?? ""))
        #expect(abs(expiresAt.timeIntervalSinceNow - 7 * 86_400) < 60)
        #expect(refreshed.cookie("better-auth.session_token") != nil && refreshed.header("set-auth-token") != nil)

        // Expired: null, cookie deleted, row gone.
        _ = try await harness.sql(
            #"UPDATE "session" SET "expiresAt" = now() - interval '1 minute' WHERE "token" = \#(token)"#)
        let expired = try await harness.get("/get-session", headers: [("authorization", "Bearer \(token)")])
        #expect(expired.text == "null")
        #expect(expired.setCookies.contains { $0.hasPrefix("better-auth.session_token=;") && $0.contains("Max-Age=0") })
        let left = try await harness.sql(#"SELECT count(*)::int FROM "session" WHERE "token" = \#(token)"#)
        #expect(try left[0].decode(Int.self) == 0)
        let tokenAfter = try await harness.get("/token", headers: [("authorization", "Bearer \(token)")])
        #expect(tokenAfter.status == 401 && tokenAfter.code == "UNAUTHORIZED")
        try await harness.stack.stop()
    }

    @Test("sign-out deletes the session; cookie-bearing requests need a trusted Origin")
    func signOutAndOrigin() async throws {
        let harness = try await AuthHarness.start()
        let (token, _) = try await harness.signUp("out@example.com")
        let signIn = try await harness.post(
            "/sign-in/email", json(["email": "out@example.com", "password": "correct horse battery"]))
        let cookie = "better-auth.session_token=\(try #require(signIn.cookie("better-auth.session_token")))"

        let noOrigin = try await harness.post("/sign-out", "{}", headers: [("cookie", cookie)])
        #expect(noOrigin.status == 403 && noOrigin.code == "MISSING_OR_NULL_ORIGIN")
        let evil = try await harness.post(
            "/sign-out", "{}", headers: [("cookie", cookie), ("origin", "http://evil.example")])
        #expect(evil.status == 403 && evil.code == "INVALID_ORIGIN")
        let nullOrigin = try await harness.post("/sign-out", "{}", headers: [("cookie", cookie), ("origin", "null")])
        #expect(nullOrigin.code == "MISSING_OR_NULL_ORIGIN")
        let evilSignIn = try await harness.post(
            "/sign-in/email", json(["email": "out@example.com", "password": "correct horse battery"]),
            headers: [("cookie", "x=1"), ("origin", "https://evil.example")])
        #expect(evilSignIn.status == 403 && evilSignIn.code == "INVALID_ORIGIN")
        let stillThere = try await harness.get("/get-session", headers: [("cookie", cookie)])
        #expect(stillThere.text != "null")

        let trusted = try await harness.post(
            "/sign-out", "{}", headers: [("cookie", cookie), ("origin", "http://app.example.com")])
        #expect(trusted.status == 200 && trusted.text == #"{"success":true}"#)
        #expect(trusted.setCookies.contains { $0.hasPrefix("better-auth.session_token=;") && $0.contains("Max-Age=0") })
        #expect(try await harness.get("/get-session", headers: [("cookie", cookie)]).text == "null")

        // Bearer requests carry no cookie, so no origin is needed; the base URL itself is always trusted.
        let bearerOut = try await harness.post("/sign-out", "{}", headers: [("authorization", "Bearer \(token)")])
        #expect(bearerOut.status == 200)
        #expect(try await harness.get("/token", headers: [("authorization", "Bearer \(token)")]).status == 401)
        let again = try await harness.post(
            "/sign-in/email", json(["email": "out@example.com", "password": "correct horse battery"]),
            headers: [("cookie", "x=1"), ("origin", harness.origin)])
        #expect(again.status == 200)
        try await harness.stack.stop()
    }

    @Test("sign-in and sign-up are rate limited: 3 per 10 s per client, then 429 with X-Retry-After")
    func rateLimit() async throws {
        let harness = try await AuthHarness.start(rateLimit: true)
        // Refused bodies count too (the limiter runs first) and answer at once, so the window cannot lapse even when
        // parallel tests slow scrypt down.
        for attempt in 1...3 {
            let response = try await harness.post("/sign-in/email", "{}")
            #expect(response.status == 400, "attempt \(attempt)")
        }
        let limited = try await harness.post(
            "/sign-in/email", json(["email": "rl@example.com", "password": "whatever-1"]))
        #expect(limited.status == 429)
        let retry = Int(limited.header("x-retry-after") ?? "") ?? 0
        #expect((1...10).contains(retry))
        #expect(limited.code == "TOO_MANY_REQUESTS")
        // Other paths are not limited.
        for _ in 0..<5 { #expect(try await harness.get("/ok").status == 200) }
        try await harness.stack.stop()
    }

    @Test("ok, jwks on demand, token 401 without a session, powersync config")
    func tokenJWKSAndConfig() async throws {
        let harness = try await AuthHarness.start()
        #expect(try await harness.get("/ok").text == #"{"ok":true}"#)
        #expect(try await harness.sql(#"SELECT 1 FROM "jwks""#).isEmpty)
        let noSession = try await harness.get("/token")
        #expect(noSession.status == 401 && noSession.code == "UNAUTHORIZED")
        let jwks = try await harness.get("/jwks")
        let keys = try #require(try jwks.json()["keys"] as? [[String: Any]])
        #expect(keys.count == 1)
        #expect(
            keys[0]["alg"] as? String == "RS256" && keys[0]["kty"] as? String == "RSA"
                && keys[0]["e"] as? String == "AQAB")
        let stored = try await harness.sql(#"SELECT "id", "privateKey" FROM "jwks""#)
        let (kid, privateKey) = try stored[0].decode((String, String).self)
        #expect(keys[0]["kid"] as? String == kid)
        #expect(privateKey.hasPrefix("\"") && !privateKey.contains("\"d\""))

        let (token, userID) = try await harness.signUp("config@example.com")
        let config = try await HTTPTestClient.send(
            "GET", harness.api + "/api/powersync/config", headers: [("authorization", "Bearer \(token)")])
        #expect(config.status == 200)
        #expect(
            try config.json()["powersyncUrl"] as? String == "http://127.0.0.1:\(harness.stack.config.sync.listen.port)")
        #expect(try config.json()["userId"] as? String == userID)
        let jwt = try await harness.jwt(session: token)
        let viaJWT = try await HTTPTestClient.send(
            "GET", harness.api + "/api/powersync/config", headers: [("authorization", "Bearer \(jwt)")])
        #expect(try viaJWT.json()["userId"] as? String == userID)
        let anonymous = try await HTTPTestClient.send("GET", harness.api + "/api/powersync/config")
        #expect(anonymous.status == 401)
        let forged = try await HTTPTestClient.send(
            "GET", harness.api + "/api/powersync/config", headers: [("authorization", "Bearer \(jwt.dropLast(3))abc")])
        #expect(forged.status == 401 && forged.code == "INVALID_TOKEN")
        try await harness.stack.stop()
    }
}

extension ISO8601DateFormatter {
    /// `2024-05-01T12:00:00.000Z`.
    static var withFractions: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
