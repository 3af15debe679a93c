import ArgumentParser
import Foundation
import Hummingbird
import StackDoctor
import StackPostgres
import StackTesting
import Testing

@testable import StackCLI

/// Each doctor check is broken on a real Postgres and must say what it saw and how to fix it.
@Suite("stack doctor")
struct DoctorTests {
    func doctor(_ path: String) async -> DoctorReport {
        var options = Doctor.Options()
        options.lagWarningBytes = 1024 * 1024
        return await Doctor(configPath: path, options: options, logger: testLogger).run()
    }

    @Test("a healthy database passes every check, exit 0")
    func healthy() async throws {
        let database = try await TestPostgres.shared().makeDatabase()
        let path = try writeConfig(try externalConfig(database))
        _ = try await applySchema(path)
        let report = await doctor(path)
        #expect(report.exitCode == 0, "\(report.text)")
        #expect(report.checks.allSatisfy { $0.status == .ok || $0.status == .skipped }, "\(report.text)")
        #expect(report.check("wal_level = logical")?.observed == "logical")
        #expect(report.check("schema matches the config")?.status == .ok)
    }

    @Test("an invalid config is one error naming file, line and key")
    func invalidConfig() async throws {
        let path = try writeConfig("api:\n  lisen: 1\n")
        let report = await doctor(path)
        #expect(report.exitCode == 1)
        #expect(
            report.check("config valid")?.observed.contains(
                "stack.yaml:2:3: api.lisen: unknown key 'lisen'; did you mean 'listen'?") == true)
    }

    @Test("no config at all: doctor cannot run, exit 2")
    func noConfig() async {
        let report = await doctor("/nonexistent/stack.yaml")
        #expect(report.exitCode == 2)
    }

    @Test("unreachable Postgres names the URL without its password")
    func unreachable() async throws {
        let port = try PortProbe.freePort()
        let path = try writeConfig("postgres:\n  url: postgres://app:s3cret@127.0.0.1:\(port)/app\n")
        let report = await doctor(path)
        let check = try #require(report.check("reachable"))
        #expect(check.status == .error)
        #expect(check.observed.contains("postgres://app:***@127.0.0.1:\(port)/app"))
        #expect(!report.text.contains("s3cret"))
        #expect(check.fix?.contains("pg_isready -h 127.0.0.1 -p \(port)") == true)
    }

    @Test("wal_level, slots, senders and max_slot_wal_keep_size on a misconfigured server")
    func serverSettings() async throws {
        let server = try TestPostgres.start(settings: [
            "wal_level": "replica", "max_replication_slots": "0", "max_wal_senders": "0",
            "max_slot_wal_keep_size": "-1",
        ])
        defer { try? server.stop() }
        let database = try await server.makeDatabase()
        let path = try writeConfig(try externalConfig(database))
        let report = await doctor(path)
        #expect(report.exitCode == 1)
        #expect(report.check("wal_level = logical")?.status == .error)
        #expect(report.check("wal_level = logical")?.observed == "replica")
        #expect(
            report.check("wal_level = logical")?.fix == "ALTER SYSTEM SET wal_level = logical; then restart Postgres")
        #expect(report.check("max_replication_slots sufficient")?.status == .error)
        #expect(
            report.check("max_replication_slots sufficient")?.fix?.hasPrefix(
                "ALTER SYSTEM SET max_replication_slots = 10;") == true)
        #expect(report.check("max_wal_senders sufficient")?.status == .error)
        #expect(
            report.check("max_wal_senders sufficient")?.fix?.hasPrefix("ALTER SYSTEM SET max_wal_senders = 10;") == true
        )
        #expect(report.check("max_slot_wal_keep_size set")?.status == .warning)
        #expect(
            report.check("max_slot_wal_keep_size set")?.fix
                == "ALTER SYSTEM SET max_slot_wal_keep_size = '1GB'; SELECT pg_reload_conf();")
    }

    @Test("a role without REPLICATION is an error with the ALTER ROLE fix")
    func roleWithoutReplication() async throws {
        let database = try await TestPostgres.shared().makeDatabase()
        let role = "r_\(database.name)"
        try await execute(database.databaseURL, "CREATE ROLE \(role) LOGIN", "GRANT ALL ON SCHEMA public TO \(role)")
        var url = database.databaseURL
        url.user = role
        let path = try writeConfig(
            try externalConfig(database).replacingOccurrences(of: database.url, with: url.urlString))
        let report = await doctor(path)
        let check = try #require(report.check("role can replicate"))
        #expect(check.status == .error)
        #expect(check.observed == "\(role): no REPLICATION attribute")
        #expect(check.fix == "ALTER ROLE \"\(role)\" WITH REPLICATION;  (run as a superuser)")
    }

    @Test("publication missing, then covering the wrong tables")
    func publication() async throws {
        let database = try await TestPostgres.shared().makeDatabase()
        let path = try writeConfig(try externalConfig(database))
        _ = try await applySchema(path)
        try await execute(database.databaseURL, "DROP PUBLICATION powersync")
        var report = await doctor(path)
        var check = try #require(report.check("publication powersync covers the synced tables"))
        #expect(check.status == .error)
        #expect(check.observed == "missing")
        #expect(check.fix == "CREATE PUBLICATION \"powersync\" FOR TABLE public.\"notes\";  (stack up also does this)")
        try await execute(
            database.databaseURL, "CREATE TABLE other (id text primary key)",
            "CREATE PUBLICATION powersync FOR TABLE other")
        report = await doctor(path)
        check = try #require(report.check("publication powersync covers the synced tables"))
        #expect(check.observed == "missing notes; extra other")
        #expect(check.fix == "ALTER PUBLICATION \"powersync\" SET TABLE public.\"notes\";  (stack up also does this)")
    }

    @Test("a table without a text id primary key, an unindexed owner_id, no replica identity")
    func tableShape() async throws {
        let database = try await TestPostgres.shared().makeDatabase()
        let path = try writeConfig(try externalConfig(database))
        try await execute(
            database.databaseURL,
            "CREATE TABLE notes (id integer, owner_id text NOT NULL, body text NOT NULL DEFAULT '', done boolean NOT NULL DEFAULT false)",
            "ALTER TABLE notes REPLICA IDENTITY NOTHING")
        let report = await doctor(path)
        let id = try #require(report.check("notes has an id text primary key"))
        #expect(id.status == .error)
        #expect(id.observed == "primary key (), id is integer")
        #expect(
            id.fix?.hasPrefix(
                "ALTER TABLE public.\"notes\" ALTER COLUMN \"id\" TYPE text; ALTER TABLE public.\"notes\" ADD PRIMARY KEY (\"id\");"
            ) == true)
        let owner = try #require(report.check("notes.owner_id indexed"))
        #expect(owner.status == .error)
        #expect(owner.fix == "CREATE INDEX IF NOT EXISTS \"idx_notes_owner_id\" ON public.\"notes\" (\"owner_id\");")
        let identity = try #require(report.check("notes replica identity usable"))
        #expect(identity.status == .error)
        #expect(identity.fix == "ALTER TABLE public.\"notes\" REPLICA IDENTITY DEFAULT;")
        let drift = try #require(report.check("notes.id matches the config"))
        #expect(drift.observed == "type is integer, config says text (text)")
    }

    @Test("schema drift is reported per column: missing column (stack up adds it), nullability")
    func drift() async throws {
        let database = try await TestPostgres.shared().makeDatabase()
        let path = try writeConfig(try externalConfig(database))
        _ = try await applySchema(path)
        try await execute(
            database.databaseURL, "ALTER TABLE notes DROP COLUMN done",
            "ALTER TABLE notes ALTER COLUMN body DROP NOT NULL")
        let report = await doctor(path)
        let missing = try #require(report.check("notes.done matches the config"))
        #expect(missing.status == .warning)
        #expect(
            missing.fix
                == "ALTER TABLE public.\"notes\" ADD COLUMN \"done\" boolean NOT NULL DEFAULT false;  (stack up applies this)"
        )
        let nullable = try #require(report.check("notes.body matches the config"))
        #expect(nullable.status == .error)
        #expect(nullable.observed == "nullable in Postgres, NOT NULL in the config")
        #expect(
            nullable.fix == "ALTER TABLE public.\"notes\" ALTER COLUMN \"body\" SET NOT NULL;  (check the data first)")
    }

    @Test("an inactive stack slot holding WAL is a warning with the drop statement")
    func inactiveSlot() async throws {
        let database = try await TestPostgres.shared().makeDatabase()
        let path = try writeConfig(try externalConfig(database))
        _ = try await applySchema(path)
        let slot = "stack_doctor_\(database.name)"
        try await execute(
            database.databaseURL, "SELECT pg_create_logical_replication_slot('\(slot)', 'pgoutput')",
            "CREATE TABLE filler AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 20000) g")
        defer { Task { try? await execute(database.databaseURL, "SELECT pg_drop_replication_slot('\(slot)')") } }
        let report = await doctor(path)
        let check = try #require(report.check("slot \(slot)"))
        #expect(check.status == .warning)
        #expect(check.observed.hasPrefix("inactive, holding "))
        #expect(check.fix?.contains("SELECT pg_drop_replication_slot('\(slot)');") == true)
    }

    @Test("a sync audience that differs from auth.base_url says which part differs")
    func audienceMismatch() async throws {
        let database = try await TestPostgres.shared().makeDatabase()
        let path = try writeConfig(
            try externalConfig(database, extra: "auth:\n  base_url: http://localhost:3011\n")
                .replacingOccurrences(of: "sync:\n", with: "sync:\n  audience: [http://localhost:3000]\n"))
        let report = await doctor(path)
        let check = try #require(report.check("sync audience matches auth.base_url"))
        #expect(check.status == .error)
        #expect(check.observed.contains("(port 3000 ≠ 3011)"))
        #expect(check.fix?.hasPrefix("remove sync.audience from \(path)") == true)
    }

    @Test("each group is printed once; --json has no fix on passing checks")
    func layout() async throws {
        let database = try await TestPostgres.shared().makeDatabase()
        let path = try writeConfig(try externalConfig(database))
        _ = try await applySchema(path)
        let report = await doctor(path)
        let headers = report.text.split(separator: "\n").filter { !$0.hasPrefix(" ") }.dropLast()
        #expect(Set(headers).count == headers.count, "\(report.text)")
        #expect(headers.contains("auth"))
        // The auth key check (with the database checks) and the audience check (config) share one header.
        let auth = report.text.components(separatedBy: "\nauth\n")[1]
        #expect(auth.contains("auth secret decrypts the signing keys") && auth.contains("sync audience matches"))
        let json = try JSONSerialization.jsonObject(
            with: try JSONEncoder().encode(DoctorJSON(checks: report.checks, summary: report.summary, error: nil)))
        let checks = try #require((json as? [String: Any])?["checks"] as? [[String: Any]])
        let passing = checks.filter { $0["status"] as? String == "ok" }
        #expect(!passing.isEmpty)
        #expect(passing.allSatisfy { $0["fix"] == nil }, "\(passing)")
        let skipped = checks.filter { $0["status"] as? String == "skipped" }
        #expect(skipped.allSatisfy { $0["fix"] != nil })
    }

    @Test("every synced table missing: the schema comparison is skipped, not '0 synced tables' as a pass")
    func allTablesMissing() async throws {
        let database = try await TestPostgres.shared().makeDatabase()
        let path = try writeConfig(try externalConfig(database))
        let report = await doctor(path)
        #expect(report.check("notes exists")?.status == .error)
        let schema = try #require(report.check("schema matches the config"))
        #expect(schema.status == .skipped, "\(report.text)")
        #expect(schema.observed == "none of the 1 synced tables exists yet, nothing to compare")
        #expect(!report.text.contains("0 synced tables"))
    }

    @Test("sync rules are checked as stack sync-rules check does: warnings as warnings, errors as errors")
    func syncRules() async throws {
        let database = try await TestPostgres.shared().makeDatabase()
        let rules = { (query: String) in
            "sync_rules:\n  bucket_definitions:\n    by_user:\n      parameters: SELECT request.user_id() as user_id\n"
                + "      data:\n        - \(query)\n"
        }
        let path = try writeConfig(
            try externalConfig(database, extra: rules("SELECT id, body FROM notes WHERE owner_id = bucket.user_id")))
        _ = try await applySchema(path)
        let clean = await doctor(path)
        #expect(clean.check("sync rules valid")?.status == .ok, "\(clean.text)")
        #expect(clean.check("sync rules valid")?.observed.hasPrefix("1 bucket definition(s)") == true)

        let typo = try writeConfig(
            try externalConfig(database, extra: rules("SELECT id FROM groupz WHERE owner_id = bucket.user_id")))
        let warned = await doctor(typo)
        let warning = try #require(warned.check("sync rules valid"))
        #expect(warning.status == .warning, "\(warned.text)")
        #expect(warning.observed.contains("[STACK-S109] Table public.groupz not found"), "\(warning.observed)")
        #expect(warning.observed.hasPrefix("\(typo):"))
        #expect(warned.exitCode == 0)
        let check = try await runStack(["sync-rules", "check", "--config", typo])
        #expect(check.status == 0 && check.out.contains(warning.observed), "\(check.out)")

        let invalid = try writeConfig(
            try externalConfig(
                database, extra: rules("SELECT id FROM notes WHERE owner_id = bucket.user_id LIMIT 5")))
        let failed = await doctor(invalid)
        let error = try #require(failed.check("sync rules valid"))
        #expect(error.status == .error && error.observed.contains("STACK-S103"), "\(failed.text)")
        #expect(failed.exitCode == 1)
    }

    @Test("a port in use is reported when the stack is not running")
    func portInUse() async throws {
        let database = try await TestPostgres.shared().makeDatabase()
        let listener = try await TestListener.start()
        let path = try writeConfig(
            try externalConfig(database).replacingOccurrences(
                of: "api:\n  listen: 127.0.0.1:", with: "api:\n  listen: 127.0.0.1:\(listener.port)\n  #"))
        let report = await doctor(path)
        let check = try #require(report.check("api.listen 127.0.0.1:\(listener.port) free"))
        #expect(check.status == .error)
        #expect(check.fix?.contains("ss -ltnp 'sport = :\(listener.port)'") == true)
        await listener.stop()
    }

    @Test("the JWKS check accepts a key with kid and RS256 and rejects one without a kid")
    func jwks() async throws {
        let good = try await TestListener.start(
            body: #"{"keys":[{"kty":"RSA","alg":"RS256","kid":"k1","n":"x","e":"AQAB"}]}"#)
        let okCheck = await Doctor.checkJWKS(uri: "http://127.0.0.1:\(good.port)/api/auth/jwks")
        #expect(okCheck.status == .ok)
        #expect(okCheck.observed == "1 key(s), kid k1 alg RS256")
        await good.stop()
        let bad = try await TestListener.start(body: #"{"keys":[{"kty":"RSA","alg":"RS256","n":"x","e":"AQAB"}]}"#)
        let badCheck = await Doctor.checkJWKS(uri: "http://127.0.0.1:\(bad.port)/api/auth/jwks")
        #expect(badCheck.status == .error)
        #expect(badCheck.observed.contains("kid=none alg=RS256"))
        await bad.stop()
        let port = try PortProbe.freePort()
        let down = await Doctor.checkJWKS(uri: "http://127.0.0.1:\(port)/api/auth/jwks")
        #expect(down.status == .error)
        #expect(down.observed.contains("unreachable"))
    }
}

/// The auth key check: a stack creates its signing key with one secret, doctor runs with another.
@Suite("stack doctor: auth secret and signing keys")
struct DoctorAuthKeyTests {
    static let original = "original-secret-0123456789abcdef0123"
    static let changed = "changed-secret-0123456789abcdef01234"
    static let checkName = "auth secret decrypts the signing keys"

    /// A database whose jwks table holds the key a real stack created (over HTTP) with `original`.
    func databaseWithKey() async throws -> (TestDatabase, String) {
        let database = try await TestPostgres.shared().makeDatabase()
        let harness = try await AuthHarness.start(secret: Self.original, database: database)
        let jwks = try await harness.get("/jwks")
        let kid = try #require((try jwks.json()["keys"] as? [[String: Any]])?.first?["kid"] as? String)
        try await harness.stack.stop()
        return (database, kid)
    }

    func doctor(_ database: TestDatabase, secret: String?) async throws -> (DoctorReport, path: String) {
        let auth = secret.map { "auth:\n  secret: \($0)\n" } ?? ""
        let path = try writeConfig(try externalConfig(database, extra: auth))
        _ = try await applySchema(path)
        return (await Doctor(configPath: path, logger: testLogger).run(), path)
    }

    @Test("a changed auth.secret is an error naming the keys and the safe fix, never the secret")
    func changedSecret() async throws {
        let (database, kid) = try await databaseWithKey()
        let (report, path) = try await doctor(database, secret: Self.changed)
        let check = try #require(report.check(Self.checkName))
        #expect(check.group == "auth" && check.status == .error)
        #expect(report.exitCode == 1)
        #expect(
            check.observed
                == "1 of 1 published key(s) cannot be decrypted with auth.secret from the config (kid \(kid)): the "
                + "secret changed since they were created; stack up refuses to start (STACK-A032)")
        let fix = try #require(check.fix)
        #expect(fix.hasPrefix("restore the secret that created the keys (auth.secret in \(path), or "))
        #expect(fix.contains("only if that secret is lost: psql \"$DATABASE_URL\" -c 'DELETE FROM jwks'"))
        #expect(fix.contains("stack auth rotate-keys does not help"))
        let text = report.text
        #expect(text.contains("[✗] \(Self.checkName)"))
        #expect(!text.contains(Self.changed) && !text.contains(Self.original))

        // The fix text's claim: rotate-keys refuses too, and leaves the keys alone.
        var rotate = try #require(
            try StackCommand.parseAsRoot(["auth", "rotate-keys", "--config", path]) as? any AsyncParsableCommand)
        do {
            try await rotate.run()
            Issue.record("rotate-keys ran although the stored key cannot be decrypted")
        } catch let exit as ExitCode {
            #expect(exit.rawValue == 1)
        }
        #expect(try await scalar(database.databaseURL, #"SELECT string_agg("id", ',') FROM "jwks""#) == kid)

        let (restored, _) = try await doctor(database, secret: Self.original)
        let ok = try #require(restored.check(Self.checkName))
        #expect(ok.status == .ok)
        #expect(ok.observed == "1 published key(s) load with auth.secret from the config")
    }

    @Test("a generated secret: the state directory's auth-secret file is checked; missing with keys is an error")
    func generatedSecret() async throws {
        let (database, _) = try await databaseWithKey()
        let path = try writeConfig(try externalConfig(database))
        let config = try await applySchema(path)
        let file = config.stateDir + "/auth-secret"
        try FileManager.default.createDirectory(atPath: config.stateDir, withIntermediateDirectories: true)

        var report = await Doctor(configPath: path, logger: testLogger).run()
        var check = try #require(report.check(Self.checkName))
        #expect(check.status == .error)
        #expect(check.observed == "1 key(s) in jwks but no secret: auth.secret is not set and \(file) is missing")
        #expect(!FileManager.default.fileExists(atPath: file), "doctor must not generate a secret")

        try (Self.changed + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        report = await Doctor(configPath: path, logger: testLogger).run()
        check = try #require(report.check(Self.checkName))
        #expect(check.status == .error)
        #expect(check.observed.contains("cannot be decrypted with the secret in \(file)"))
        #expect(!report.text.contains(Self.changed))

        try (Self.original + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        report = await Doctor(configPath: path, logger: testLogger).run()
        #expect(report.check(Self.checkName)?.status == .ok)
    }

    @Test("no jwks table yet is fine")
    func noTable() async throws {
        let database = try await TestPostgres.shared().makeDatabase()
        let (report, _) = try await doctor(database, secret: Self.changed)
        let check = try #require(report.check(Self.checkName))
        #expect(check.status == .ok)
        #expect(check.observed.hasPrefix("no jwks table yet"))
    }
}
