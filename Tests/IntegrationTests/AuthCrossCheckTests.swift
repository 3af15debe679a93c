import ArgumentParser
import Foundation
import PostgresNIO
import StackAuth
@testable import StackCLI
import StackTesting
import Testing

@Suite("auth server against independent implementations")
struct AuthCrossCheckTests {
    @Test("a JWT from GET /token verifies with joserfc and PyJWT against GET /jwks over HTTP", needsPython3)
    func jwtVerifiesInPython() async throws {
        let harness = try await AuthHarness.start()
        let (token, userID) = try await harness.signUp("py@example.com", name: "Py Thon")
        let jwt = try await harness.jwt(session: token)
        let result = try await Python.httpCheck("verify-jwks-url", harness.auth + "/jwks", jwt, harness.origin)
        let claims = try #require(result["claims"] as? [String: Any])
        let header = try #require(result["header"] as? [String: Any])
        #expect(claims["sub"] as? String == userID && claims["id"] as? String == userID)
        #expect(claims["email"] as? String == "py@example.com" && claims["name"] as? String == "Py Thon")
        #expect(claims["iss"] as? String == harness.origin && claims["aud"] as? String == harness.origin)
        let iat = try #require(claims["iat"] as? Int)
        #expect(claims["exp"] as? Int == iat + 900)
        #expect(header["alg"] as? String == "RS256")
        #expect((result["kids"] as? [String]) == [header["kid"] as? String ?? "-"])
        try await harness.stack.stop()
    }

    @Test("a user and account row written as BetterAuth does (hashlib scrypt) signs in over HTTP", needsPython3)
    func betterAuthRowsSignIn() async throws {
        let harness = try await AuthHarness.start()
        let password = "Pässwort mit Ümlaut 🔐"
        let hash = try await Python.crossCheck("scrypt-hash", password)
        _ = try await harness.sql(
            """
            INSERT INTO "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt")
            VALUES ('ba-user-1', 'From BetterAuth', 'ba@example.com', true, NULL, now(), now())
            """)
        _ = try await harness.sql(
            """
            INSERT INTO "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt")
            VALUES ('ba-account-1', 'ba-user-1', 'credential', 'ba-user-1', \(hash), now(), now())
            """)
        let response = try await harness.post("/sign-in/email", json(["email": "BA@example.com", "password": password]))
        #expect(response.status == 200, "\(response.text)")
        let user = try #require(try response.json()["user"] as? [String: Any])
        #expect(user["id"] as? String == "ba-user-1" && user["emailVerified"] as? Bool == true)
        let wrong = try await harness.post("/sign-in/email", json(["email": "ba@example.com", "password": password + "x"]))
        #expect(wrong.status == 401)
        // And the reverse: the hash stack writes verifies in Python.
        try await harness.signUp("reverse@example.com", password: password)
        let stored = try await harness.sql(
            #"SELECT a."password" FROM "account" a JOIN "user" u ON u."id" = a."userId" WHERE u."email" = 'reverse@example.com'"#)
        #expect(try await Python.crossCheck("scrypt-verify", try stored[0].decode(String.self), password) == "true")
        try await harness.stack.stop()
    }

    @Test("a jwks row encrypted by PyNaCl is served and signs tokens", needsPython3)
    func pythonEncryptedKey() async throws {
        let secret = "test-secret-0123456789abcdef0123456789"
        let harness = try await AuthHarness.start(secret: secret)
        let privateJWK = try await Python.crossCheck("rsa-generate-jwk")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(privateJWK.utf8)) as? [String: String])
        let publicJWK = json(["kty": "RSA", "n": object["n"]!, "e": object["e"]!])
        let encrypted = try await Python.crossCheck("xchacha-encrypt", secret, privateJWK)
        let column = "\"\(encrypted)\""
        _ = try await harness.sql(
            """
            INSERT INTO "jwks" ("id", "publicKey", "privateKey", "createdAt", "alg")
            VALUES ('python-key', \(publicJWK), \(column), now(), 'RS256')
            """)
        let keys = try #require(try await harness.get("/jwks").json()["keys"] as? [[String: Any]])
        #expect(keys.map { $0["kid"] as? String } == ["python-key"])
        #expect(keys.first?["n"] as? String == object["n"])
        let (token, _) = try await harness.signUp("nacl@example.com")
        let jwt = try await harness.jwt(session: token)
        let result = try await Python.httpCheck("verify-jwks-url", harness.auth + "/jwks", jwt, harness.origin)
        #expect((result["header"] as? [String: Any])?["kid"] as? String == "python-key")
        _ = try await Python.crossCheck("jwt-verify-with-jwk", publicJWK, jwt, harness.origin)
        // And the reverse: a key stack creates decrypts in PyNaCl.
        try await harness.stack.stop()
    }

    @Test("a key stack encrypted decrypts in PyNaCl; a different secret fails startup instead of replacing it", needsPython3)
    func wrongSecretFailsStartup() async throws {
        let secret = "first-secret-0123456789abcdef0123456789"
        let first = try await AuthHarness.start(secret: secret)
        _ = try await first.get("/jwks")
        let column = try await first.sql(#"SELECT "privateKey" FROM "jwks""#)[0].decode(String.self)
        let hex = String(column.dropFirst().dropLast())
        let decrypted = try await Python.crossCheck("xchacha-decrypt", secret, hex)
        #expect(decrypted.contains("\"d\"") && decrypted.contains("\"kty\":\"RSA\""))
        let database = first.stack.database
        try await first.stack.stop()

        await #expect {
            _ = try await AuthHarness.start(secret: "another-secret-0123456789abcdef0123456", database: database)
        } throws: { error in
            let text = "\(error)"
            return text.contains("auth failed") && text.contains("STACK-A032") && text.contains("auth.secret")
        }
        let count = try await PostgresClient.withClient(database.databaseURL, logger: AuthHarness.logger) { client in
            var total = 0
            for try await value in try await client.query(#"SELECT count(*)::int FROM "jwks""#).decode(Int.self) {
                total = value
            }
            return total
        }
        #expect(count == 1)
        // The right secret still starts.
        let again = try await AuthHarness.start(secret: secret, database: database)
        #expect(try await again.get("/jwks").status == 200)
        try await again.stack.stop()
    }

    @Test("stack auth rotate-keys: new tokens use the new key, old tokens keep verifying; stack token", needsPython3)
    func rotateKeys() async throws {
        let harness = try await AuthHarness.start()
        let (session, userID) = try await harness.signUp("rotate@example.com")
        let oldJWT = try await harness.jwt(session: session)
        let oldKid = try #require(
            try await Python.httpCheck("verify-jwks-url", harness.auth + "/jwks", oldJWT, harness.origin)["header"]
                as? [String: Any])["kid"] as? String

        var rotate = try #require(
            try StackCommand.parseAsRoot(["auth", "rotate-keys", "--config", harness.stack.config.file])
                as? any AsyncParsableCommand)
        try await rotate.run()

        // The running stack reads the jwks table again within its refresh interval (5 s).
        var keys: [[String: Any]] = []
        let published = Date().addingTimeInterval(15)
        while keys.count != 2, Date() < published {
            keys = try #require(try await harness.get("/jwks").json()["keys"] as? [[String: Any]])
            if keys.count != 2 { try await Task.sleep(for: .milliseconds(300)) }
        }
        #expect(keys.count == 2)
        #expect(keys.contains { $0["kid"] as? String == oldKid })
        // The running stack picks the new key up within its refresh interval.
        var newKid = oldKid
        let deadline = Date().addingTimeInterval(15)
        while newKid == oldKid, Date() < deadline {
            let jwt = try await harness.jwt(session: session)
            newKid = try #require(
                try await Python.httpCheck("verify-jwks-url", harness.auth + "/jwks", jwt, harness.origin)["header"]
                    as? [String: Any])["kid"] as? String
            if newKid == oldKid { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(newKid != oldKid)
        let old = try await Python.httpCheck("verify-jwks-url", harness.auth + "/jwks", oldJWT, harness.origin)
        #expect((old["claims"] as? [String: Any])?["sub"] as? String == userID)
        let viaOld = try await HTTPTestClient.send(
            "GET", harness.api + "/api/powersync/config", headers: [("authorization", "Bearer \(oldJWT)")])
        #expect(viaOld.status == 200)

        // rotate-keys --grace 0: the key it retires leaves the JWKS at once; the first key keeps its 30 days.
        rotate = try #require(
            try StackCommand.parseAsRoot(["auth", "rotate-keys", "--grace", "0", "--config", harness.stack.config.file])
                as? any AsyncParsableCommand)
        try await rotate.run()
        var afterZero: [[String: Any]] = []
        let retired = Date().addingTimeInterval(15)
        while afterZero.contains(where: { $0["kid"] as? String == newKid }) || afterZero.isEmpty, Date() < retired {
            afterZero = try #require(try await harness.get("/jwks").json()["keys"] as? [[String: Any]])
            try await Task.sleep(for: .milliseconds(300))
        }
        let kids = afterZero.compactMap { $0["kid"] as? String }
        #expect(kids.count == 2 && kids.contains(oldKid ?? "-") && !kids.contains(newKid ?? "-"))
        let currentKid = kids.first { $0 != oldKid }

        let printed = try await TokenCommand.issue(config: harness.stack.config, email: "ROTATE@example.com", logger: AuthHarness.logger)
        let check = try await Python.httpCheck("verify-jwks-url", harness.auth + "/jwks", printed, harness.origin)
        #expect((check["claims"] as? [String: Any])?["sub"] as? String == userID)
        #expect((check["header"] as? [String: Any])?["kid"] as? String == currentKid)
        try await harness.stack.stop()
    }
}
