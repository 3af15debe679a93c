import Foundation
import PostgresNIO
import StackAuth
import StackConfig
import StackPostgres
import StackSeed
import StackTesting
import Testing

/// The repository's `sample-data/` and `dev/stack.yaml`.
private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
private let sampleDirectory = repositoryRoot + "/sample-data"

/// The seed app's schema and sync rules from dev/stack.yaml, with test listen addresses and secret.
private let seedAppYAML: String = {
    let text = (try? String(contentsOfFile: repositoryRoot + "/dev/stack.yaml", encoding: .utf8)) ?? ""
    let schema = text.range(of: "\nschema:").map { String(text[$0.lowerBound...]) } ?? ""
    return """
        auth:
          base_url: http://${API_LISTEN}
          secret: test-secret-0123456789abcdef0123456789
        api:
          listen: ${API_LISTEN}
        sync:
          listen: ${SYNC_LISTEN}
        """ + schema
}()

/// A config for `database` (a postgres.url database) with the seed app's schema.
private func seedConfig(_ database: TestDatabase) throws -> StackConfig {
    try ConfigLoader().load(explicit: try seedConfigFile(database))
}

/// A config file for `database` with the seed app's schema; returns its path.
private func seedConfigFile(_ database: TestDatabase) throws -> String {
    let yaml = seedAppYAML.replacingOccurrences(of: "${API_LISTEN}", with: "127.0.0.1:\(try PortProbe.freePort())")
        .replacingOccurrences(of: "${SYNC_LISTEN}", with: "127.0.0.1:\(try PortProbe.freePort())")
    return try writeConfig(
        "state_dir: \(NSTemporaryDirectory())stack-seed-\(UUID().uuidString.prefix(8))\npostgres:\n  url: \(database.url)\n"
            + yaml)
}

/// Runs the seeder against the config's database.
private func seed(_ config: StackConfig, _ options: Seeder.Options) async throws -> SeedReport {
    let data = try SampleData.load(directory: sampleDirectory)
    let auth = try AuthConfiguration(config: config, secret: config.auth.secret ?? "test-secret-0123456789abcdef")
    return try await PostgresClient.withClient(try DatabaseURL(parsing: config.postgres.url!), logger: testLogger) {
        client in
        try await Seeder(config: config, data: data, auth: auth, client: client, logger: testLogger).run(
            options: options)
    }
}

/// One bigint from a query.
private func count(_ url: DatabaseURL, _ sql: String) async throws -> Int {
    Int(try await scalar(url, "SELECT (\(sql))::text") ?? "") ?? -1
}

@Suite("stack seed")
struct SeedTests {
    @Test(
        "seed: ≥3 users sign in over HTTP, ≥1,000 owned documents, TOASTed large documents, every synced table filled; second run inserts nothing; reset refuses while replicating"
    )
    func seedsThroughRealPaths() async throws {
        let stack = try await TestStack.start(yaml: seedAppYAML)
        let url = stack.database.databaseURL
        let first = try await seed(stack.config, .init(databaseIsManaged: false))
        #expect(first.users.count >= 3 && first.users.allSatisfy { $0.created && $0.passwordMatches })
        let documents = try #require(first.tables.first { $0.name == "documents" })
        #expect(documents.inserted >= 1000 && documents.existing == 0)
        for table in stack.config.schema.syncedTables {
            let rows = try await count(url, "SELECT count(*) FROM public.\(Identifier.quoted(table.name))")
            #expect(rows > 0, "table \(table.name) is empty")
            #expect(first.tables.first { $0.name == table.name }?.inserted == rows)
            // Every row belongs to a demo user.
            let ids = first.users.map { "'\($0.id)'" }.joined(separator: ",")
            #expect(
                try await count(
                    url, "SELECT count(*) FROM public.\(Identifier.quoted(table.name)) WHERE owner_id NOT IN (\(ids))")
                    == 0)
        }
        #expect(try await count(url, #"SELECT count(*) FROM "user""#) == first.users.count)
        #expect(try await count(url, #"SELECT count(*) FROM "account" WHERE "providerId" = 'credential'"#) == 3)
        #expect(try await count(url, #"SELECT count(*) FROM "session""#) == 0, "the sign-up sessions are deleted")

        // Large documents: over 8 KB, and the documents table's TOAST relation holds data (stored out of line).
        #expect(try await count(url, "SELECT count(*) FROM documents WHERE octet_length(content) > 20000") >= 5)
        #expect(
            try await count(
                url, "SELECT min(pg_column_size(content)) FROM documents WHERE octet_length(content) > 20000") > 8192)
        #expect(
            try await count(
                url, "SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE oid = 'public.documents'::regclass")
                > 0)

        // The demo credentials sign in through the real endpoint.
        for user in first.users {
            let body = try JSONSerialization.data(withJSONObject: ["email": user.email, "password": user.password])
            let response = try await HTTPTestClient.send(
                "POST", stack.endpoints.authURL + "/sign-in/email", headers: [("content-type", "application/json")],
                body: body)
            #expect(response.status == 200, "\(user.email): \(response.text)")
            #expect(((try? response.json())?["user"] as? [String: Any])?["id"] as? String == user.id)
        }

        let second = try await seed(stack.config, .init(databaseIsManaged: false))
        #expect(second.nothingChanged && second.inserted == 0)
        #expect(second.existing == first.inserted)
        #expect(second.users.map(\.id) == first.users.map(\.id) && second.users.allSatisfy { !$0.created })

        // Replication holds its slot while the stack runs: a forced reset still refuses and changes nothing.
        await #expect(throws: SeedError.self) {
            try await seed(stack.config, .init(reset: true, force: true, databaseIsManaged: false))
        }
        #expect(try await count(url, "SELECT count(*) FROM documents") == documents.inserted)
        try await stack.stop()
    }

    @Test("--reset refuses a postgres.url database without --force; with --force it wipes users, rows and sync storage")
    func resetNeedsForce() async throws {
        let database = try await TestPostgres.shared().makeDatabase(prefix: "seed")
        let config = try seedConfig(database)
        let first = try await seed(config, .init(databaseIsManaged: false))
        do {
            _ = try await seed(config, .init(reset: true, databaseIsManaged: false))
            Issue.record("reset without --force must refuse")
        } catch let error as SeedError {
            #expect(error.code == "STACK-E010" && error.message.contains("--force"))
        }
        #expect(try await count(database.databaseURL, #"SELECT count(*) FROM "user""#) == 3, "nothing was wiped")
        // Sync storage exists as stack up leaves it: a row there must be gone after the reset.
        try await execute(
            database.databaseURL, "CREATE SCHEMA powersync",
            "CREATE TABLE powersync.bucket_data (op_id bigint PRIMARY KEY)",
            "INSERT INTO powersync.bucket_data VALUES (1)")
        let again = try await seed(config, .init(reset: true, force: true, databaseIsManaged: false))
        #expect(again.resetTables.contains(#""powersync"."bucket_data""#))
        #expect(again.users.allSatisfy { $0.created }, "users were wiped and signed up again")
        #expect(Set(again.users.map(\.id)).isDisjoint(with: first.users.map(\.id)))
        #expect(again.inserted == first.inserted && again.existing == 0)
        #expect(try await count(database.databaseURL, "SELECT count(*) FROM powersync.bucket_data") == 0)
        #expect(try await count(database.databaseURL, #"SELECT count(*) FROM "user""#) == 3)
    }

    @Test("--scale 2 doubles the templated documents and their versions and links, keeping scale 1's rows")
    func scaleDoubles() async throws {
        let data = try SampleData.load(directory: sampleDirectory)
        let one = SeedGenerator(data: data, scale: 1).rowCounts()
        let two = SeedGenerator(data: data, scale: 2).rowCounts()
        let database = try await TestPostgres.shared().makeDatabase(prefix: "seed")
        let config = try seedConfig(database)
        let first = try await seed(config, .init(databaseIsManaged: false))
        let second = try await seed(config, .init(scale: 2, databaseIsManaged: false))
        for table in ["documents", "document_versions", "document_groups"] {
            let inserted = try #require(first.tables.first { $0.name == table }).inserted
            let again = try #require(second.tables.first { $0.name == table })
            #expect(again.existing == inserted, "\(table): scale 2 contains scale 1's rows")
            #expect(inserted + again.inserted == two[table], "\(table)")
        }
        for table in ["projects", "groups", "group_hierarchy"] {
            #expect(second.tables.first { $0.name == table }?.inserted == 0)
        }
        let large = try await count(database.databaseURL, "SELECT count(*) FROM documents WHERE content LIKE '## %'")
        let documents = try #require(one["documents"])
        #expect(two["documents"] == 2 * (documents - large) + large)
        #expect(two["projects"] == one["projects"] && two["groups"] == one["groups"])
        #expect(two["document_versions"]! > 19 * one["document_versions"]! / 10)
        #expect(SeedGenerator(data: data, scale: 100).rowCounts()["documents"] == 100 * (documents - large) + large)
    }

    @Test("the generator is deterministic: same ids and content twice, distinct ids across users and tables")
    func deterministic() throws {
        func all(_ generator: SeedGenerator) -> [String: [String?]] {
            var rows: [String: [String?]] = [:]
            for (index, user) in generator.users.enumerated() {
                for item in generator.workItems(for: user) {
                    for chunk in generator.rows(for: item, user: user, userIndex: index, ownerID: "owner-\(index)") {
                        for row in chunk.rows { rows[row[0]!] = row }
                    }
                }
            }
            return rows
        }
        let data = try SampleData.load(directory: sampleDirectory)
        let first = all(SeedGenerator(data: data))
        let second = all(SeedGenerator(data: data, documentsPerChunk: 77))
        #expect(first.count == second.count && first == second)
        let total = SeedGenerator(data: data).rowCounts().values.reduce(0, +)
        #expect(first.count == total, "ids are unique across users and tables")
        // Ids are SHA-256 name-based UUIDs of email/table/key (sample-data/README.md), pinned here.
        #expect(first["8c8500d1-5585-8deb-a392-c1e07b4f0476"]?[1] == "Notebook")
        #expect(first["a0557a12-5af8-8227-83fc-bbcd57b663c7"]?[1] == "Letter 8 to Augustus De Morgan")
        let ids = Array(first.keys)
        #expect(ids.allSatisfy { UUID(uuidString: $0) != nil && $0.dropFirst(14).first == "8" }, "UUID version 8")
    }
}

@Suite("stack seed CLI")
struct SeedCLITests {
    @Test(
        "seed --help, bad options exit non-zero with a message; a real run prints JSON, then refuses --reset, then has nothing to do"
    )
    func cli() async throws {
        let help = try await runStack(["seed", "--help"])
        #expect(help.status == 0 && help.out.contains("--scale") && help.out.contains("--reset"))
        #expect(help.out.contains("--force") && help.out.contains("sample-data"))
        let bogus = try await runStack(["seed", "--bogus"])
        #expect(bogus.status != 0 && bogus.err.contains("Unknown option '--bogus'"), "\(bogus.err)")
        let scale = try await runStack(["seed", "--scale", "0"])
        #expect(scale.status != 0 && scale.err.contains("--scale must be between 1 and 10000"), "\(scale.err)")
        let missing = try await runStack(["seed", "--data", "/nonexistent"])
        #expect(missing.status == 1 && missing.err.contains("STACK-E001"), "\(missing.err)")

        let database = try await TestPostgres.shared().makeDatabase(prefix: "seedcli")
        let path = try seedConfigFile(database)
        let run = try await runStack(["seed", "--config", path, "--data", sampleDirectory, "-o", "json"])
        #expect(run.status == 0, "\(run.err)")
        #expect(!run.err.contains("seeding rows"), "no progress under -o json: \(run.err)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any])
        #expect((report["users"] as? [[String: Any]])?.count == 3)
        let tables = try #require(report["tables"] as? [[String: Any]])
        #expect(tables.contains { $0["name"] as? String == "documents" && ($0["inserted"] as? Int ?? 0) >= 1000 })
        #expect(report["rows_per_second"] is Int)

        let reset = try await runStack(["seed", "--config", path, "--data", sampleDirectory, "--reset"])
        #expect(reset.status == 1 && reset.err.contains("STACK-E010") && reset.err.contains("--force"), "\(reset.err)")
        let again = try await runStack(["seed", "--config", path, "--data", sampleDirectory])
        #expect(again.status == 0, "\(again.err)")
        #expect(again.out.contains("nothing to do"), "\(again.out)")
        #expect(again.out.contains("stack client sign-in --config"), "\(again.out)")
        #expect(again.out.contains("ada@example.com"))
    }
}
