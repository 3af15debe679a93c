import Foundation
import StackConfig
import StackCore
import Testing

@Suite("config: loading, defaults and derivations")
struct ConfigLoaderTests {
    @Test("the annotated sample loads with the seed data model and rules")
    func sampleLoads() throws {
        let text = try String(contentsOf: sampleConfigURL, encoding: .utf8)
        let config = try parse(text)
        #expect(
            config.schema.tables.map(\.name) == [
                "projects", "documents", "document_versions", "groups", "group_hierarchy", "document_groups",
                "preferences", "local_metadata",
            ])
        #expect(config.schema.syncedTables.count == 6)
        #expect(config.schema.table(named: "preferences")?.localOnly == true)
        #expect(config.schema.table(named: "documents")?.hasSoftDelete == true)
        let uniques = config.schema.table(named: "document_groups")?.indexes.filter(\.unique).map(\.columns)
        #expect(uniques == [["document_id", "group_id"]])
        #expect(config.syncRules?.definitions.map(\.name) == ["user_data"])
        #expect(config.syncRules?.definitions.first?.data.count == 6)
        #expect(config.auth.secret == nil, "an empty ${BETTER_AUTH_SECRET:-} means: generate one")
    }

    @Test("absent sections get the documented defaults; audience and JWKS URI derive from auth.base_url")
    func defaults() throws {
        let config = try parse(minimalTable)
        #expect(config.postgres.isManaged)
        #expect(config.postgres.managed.dataDir == "/project/.stack/postgres")
        #expect(config.postgres.managed.port == nil)
        #expect(config.auth.baseURL == "http://127.0.0.1:3011")
        #expect(config.auth.jwtExpiresIn == 900)
        #expect(config.api.listen == ListenAddress(host: "127.0.0.1", port: 3011))
        #expect(config.sync.listen == ListenAddress(host: "127.0.0.1", port: 8080))
        #expect(config.sync.audience == ["http://127.0.0.1:3011"])
        #expect(config.sync.jwksURI == "http://127.0.0.1:3011/api/auth/jwks")
        #expect(config.sync.publication == "powersync")
        #expect(config.sync.storageSchema == "powersync")
        #expect(config.stateDir == "/project/.stack")
    }

    @Test("without auth.base_url the auth server is where the API listens, and audience and JWKS URI follow it")
    func baseURLFollowsTheAPI() throws {
        let moved = try parse("api:\n  listen: 127.0.0.1:4999\n" + minimalTable)
        #expect(moved.auth.baseURL == "http://127.0.0.1:4999")
        #expect(moved.sync.audience == ["http://127.0.0.1:4999"])
        #expect(moved.sync.jwksURI == "http://127.0.0.1:4999/api/auth/jwks")
        // A wildcard bind is reached through loopback on this machine.
        let wildcard = try parse("api:\n  listen: 0.0.0.0:4998\n" + minimalTable)
        #expect(wildcard.sync.jwksURI == "http://127.0.0.1:4998/api/auth/jwks")
        // An explicit base URL (a proxy in front, say) still wins.
        let proxied = try parse(
            "auth:\n  base_url: https://app.example.com\napi:\n  listen: 127.0.0.1:4999\n" + minimalTable)
        #expect(proxied.sync.jwksURI == "https://app.example.com/api/auth/jwks")
    }

    @Test("printing a config (as generic code and logs do) shows no secret, JWKS key or database password")
    func descriptionsRedactSecrets() throws {
        let config = try parse(
            """
            postgres:
              url: postgres://app:db-password-1@127.0.0.1:5432/app
            auth:
              secret: auth-secret-0123456789abcdef0123
            sync:
              jwks:
                keys:
                  - { kty: oct, alg: HS256, kid: k1, k: a2V5LWJ5dGVzLTAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5 }

            """ + minimalTable)
        struct Holder { let config: StackConfig }
        for text in [
            "\(config)", String(reflecting: config), "\(Holder(config: config))",
            String(reflecting: Holder(config: config)),
        ] {
            #expect(!text.contains("db-password-1"), "\(text)")
            #expect(!text.contains("auth-secret-0123456789abcdef0123"), "\(text)")
            #expect(!text.contains("a2V5LWJ5dGVz"), "\(text)")
            #expect(text.contains("postgres://app:***@127.0.0.1:5432/app") && text.contains("jwksKeys: [\"k1\"]"))
        }
    }

    @Test("a base URL with a path or default port derives its origin")
    func derivedOrigin() throws {
        let config = try parse("auth:\n  base_url: https://App.Example.com:443/api/auth/\n" + minimalTable)
        #expect(config.auth.origin == "https://app.example.com")
        #expect(config.sync.audience == ["https://app.example.com"])
        #expect(config.sync.jwksURI == "https://app.example.com/api/auth/jwks")
    }

    @Test("explicit sync settings override the derived ones")
    func overrides() throws {
        let config = try parse(
            """
            sync:
              audience: [http://a:1, http://b:2]
              jwks_uri: http://keys.local/jwks
              jwks:
                keys:
                  - { kty: oct, kid: dev, alg: HS256, k: c2VjcmV0 }
            """ + "\n" + minimalTable)
        #expect(config.sync.audience == ["http://a:1", "http://b:2"])
        #expect(!config.sync.audienceDerived)
        #expect(config.sync.jwksURI == "http://keys.local/jwks")
        #expect(config.sync.jwksKeys.first?["kid"] == .string("dev"))
    }

    @Test("${NAME} and ${NAME:-default} substitute environment variables in values")
    func environmentSubstitution() throws {
        let yaml = """
            auth:
              base_url: ${BASE:-http://127.0.0.1:3011}
              secret: ${SECRET}
            api:
              listen: 127.0.0.1:${PORT:-4000}
            """ + "\n" + minimalTable
        let config = try parse(yaml, environment: ["SECRET": "0123456789abcdef0123", "BASE": "http://h:9"])
        #expect(config.auth.baseURL == "http://h:9")
        #expect(config.auth.secret == "0123456789abcdef0123")
        #expect(config.api.listen.port == 4000)
    }

    @Test("a missing variable without default is an error at its position, naming the variable")
    func missingVariable() {
        let found = diagnostics("auth:\n  secret: ${NOPE}\n" + minimalTable)
        #expect(found.count == 1)
        #expect(found.first?.line == 2)
        #expect(found.first?.column == 11)
        #expect(found.first?.key == "auth.secret")
        #expect(found.first?.message.contains("NOPE") == true)
    }

    @Test("short column form is a nullable column without default")
    func shortForm() throws {
        let config = try parse(minimalTable + "\n        title: text")
        let title = config.schema.table(named: "notes")?.column(named: "title")
        #expect(title == ColumnSchema(name: "title", type: .text, primaryKey: false, nullable: true, defaultValue: nil))
    }

    @Test("sync_rules.path is read relative to the config file")
    func rulesFromPath() throws {
        let directory = NSTemporaryDirectory() + "stack-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try
            "bucket_definitions:\n  mine:\n    parameters: SELECT request.user_id() AS u\n    data:\n      - SELECT * FROM notes WHERE owner_id = bucket.u\n"
            .write(toFile: directory + "/rules.yaml", atomically: true, encoding: .utf8)
        let config = try ConfigLoader(environment: [:], workingDirectory: directory)
            .parse(minimalTable + "\nsync_rules:\n  path: rules.yaml\n", file: directory + "/stack.yaml")
        #expect(config.syncRules?.file == directory + "/rules.yaml")
        #expect(config.syncRules?.definitions.first?.data.first?.line == 5)
    }

    @Test("--config, then ./stack.yaml, then dev/stack.yaml; none gives a clear error")
    func locate() throws {
        let directory = NSTemporaryDirectory() + "stack-locate-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/dev", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let loader = ConfigLoader(environment: [:], workingDirectory: directory)
        #expect(throws: ConfigError.self) { try loader.locate(explicit: nil) }
        FileManager.default.createFile(atPath: directory + "/dev/stack.yaml", contents: Data())
        #expect(try loader.locate(explicit: nil) == directory + "/dev/stack.yaml")
        FileManager.default.createFile(atPath: directory + "/stack.yaml", contents: Data())
        #expect(try loader.locate(explicit: nil) == directory + "/stack.yaml")
        FileManager.default.createFile(atPath: directory + "/other.yaml", contents: Data())
        #expect(try loader.locate(explicit: "other.yaml") == directory + "/other.yaml")
        #expect(throws: ConfigError.self) { try loader.locate(explicit: "missing.yaml") }
    }
}
