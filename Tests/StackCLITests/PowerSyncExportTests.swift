import Foundation
import StackConfig
import Testing
import Yams

@testable import StackCLI

@Suite struct PowerSyncExportTests {
    static func config(_ extra: String = "") throws -> StackConfig {
        let directory = NSTemporaryDirectory() + "export-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/stack.yaml"
        try """
        postgres:
          url: postgres://app:s3cret@db.example:5432/app?sslmode=verify-full
        auth:
          base_url: https://auth.example.com
        sync:
          listen: 127.0.0.1:8181
        \(extra)
        schema:
          tables:
            todos:
              columns:
                id: { type: text, primary_key: true }
                owner_id: text
                title: text
        sync_rules:
          bucket_definitions:
            mine:
              parameters: SELECT request.user_id() as user_id
              data:
                - SELECT * FROM todos WHERE owner_id = bucket.user_id
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return try ConfigLoader().load(explicit: path)
    }

    @Test func writesServiceConfigAndRulesWithoutSecrets() throws {
        let export = try PowerSyncExport(config: try Self.config())
        #expect(export.files.map(\.name) == ["powersync.yaml", "sync_rules.yaml"])
        let service = export.files[0].content
        #expect(!service.contains("s3cret"))
        #expect(service.contains("uri: !env PS_DATA_SOURCE_URI"))
        #expect(service.contains("sslmode: verify-full"))
        #expect(service.contains("port: 8181"))
        #expect(service.contains(#"jwks_uri: "https://auth.example.com/api/auth/jwks""#))
        #expect(service.contains(#"audience: ["https://auth.example.com"]"#))
        #expect(export.warnings.isEmpty)
        // The rules file is YAML the service can read, with the same query.
        let rules = try #require(try Yams.load(yaml: export.files[1].content) as? [String: Any])
        let definitions = try #require(rules["bucket_definitions"] as? [String: Any])
        let mine = try #require(definitions["mine"] as? [String: Any])
        #expect((mine["data"] as? [String])?.first == "SELECT * FROM todos WHERE owner_id = bucket.user_id")
    }

    @Test func staticKeysAndPublicationAreCarriedWithWarnings() throws {
        let export = try PowerSyncExport(
            config: try Self.config(
                """
                  publication: app_pub
                  jwks:
                    keys:
                      - { kty: oct, alg: HS256, kid: k1, k: c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA }
                """))
        #expect(export.files[0].content.contains(#""kid": "k1""#) || export.files[0].content.contains(#""kid":"k1""#))
        #expect(export.warnings.count == 2)
        #expect(export.warnings.contains { $0.contains("app_pub") })
    }

    @Test func refusesAConfigWithoutSyncRules() throws {
        let directory = NSTemporaryDirectory() + "export-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/stack.yaml"
        try "schema:\n  tables:\n    t:\n      columns: { id: { type: text, primary_key: true }, owner_id: text }\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let config = try ConfigLoader().load(explicit: path)
        #expect(throws: (any Error).self) { try PowerSyncExport(config: config) }
        do {
            _ = try PowerSyncExport(config: config)
        } catch {
            #expect("\(error)".contains("STACK-X002") && "\(error)".contains("sync_rules"), "\(error)")
        }
    }

    @Test func benchRefusesNonPositiveSizes() {
        #expect(throws: (any Error).self) { try BenchCommand.parse(["--rows", "0"]) }
        #expect(throws: (any Error).self) { try BenchCommand.parse(["--repeat", "-1"]) }
        for option in ["--uploads", "--edits", "--runs", "--clients", "--commits", "--lag-rate", "--lag-seconds"] {
            #expect(throws: (any Error).self, "\(option) 0") { try BenchCommand.parse([option, "0"]) }
        }
        #expect(throws: (any Error).self) { try BenchCommand.parse(["--kill-loop", "-1"]) }
        #expect((try? BenchCommand.parse(["--kill-loop", "0", "--uploads", "30"])) != nil)
        #expect(throws: (any Error).self) { try ExportCommand.PowerSync.parse([]) }  // --out is required
        #expect((try? BenchCommand.parse(["--rows", "10", "--streams", "5"])) != nil)
        #expect((try? BenchCommand.parse(["--lag-rate", "500", "--lag-seconds", "3"]))?.lagRate == 500)
    }

    @Test func syncReloadRefusesANonPositiveTimeout() {
        #expect(throws: (any Error).self) { try SyncCommand.Reload.parse(["--timeout", "0"]) }
        #expect((try? SyncCommand.Reload.parse(["--json", "--no-wait", "--timeout", "60"]))?.noWait == true)
    }
}
