import Foundation
import StackConfig
import StackFuzzing
import Testing

/// Mutated `stack.yaml` texts: a config or diagnostics with file:line:column, never a trap, never a secret value
/// in a message. `STACK_FUZZ_COUNT=100000 swift test --filter StackConfigTests.FuzzTests` for a long run.
@Suite struct FuzzTests {
    static let secret = "fuzz-auth-secret-7f3a9c1e5b2d4f60"
    static let password = "fuzzDbPassw0rd9c1e"
    static let environmentSecret = "fuzz-env-secret-00c0ffee11d00d22"

    static let compact = """
        postgres:
          url: postgres://app:\(password)@127.0.0.1:5432/app
        auth:
          base_url: ${BASE_URL:-http://127.0.0.1:3011}
          secret: \(secret)
        api:
          listen: 127.0.0.1:3010
          max_body_bytes: 1048576
        sync:
          listen: 127.0.0.1:8080
          jwks:
            keys:
              - { kty: oct, alg: HS256, kid: k1, k: ${JWK_SECRET} }
        schema:
          tables:
            documents:
              columns:
                id: { type: text, primary_key: true }
                title: text
                owner_id: text
                pinned: { type: boolean, nullable: false, default: false }
                meta: json
            local:
              local_only: true
              columns: { id: { type: text, primary_key: true }, v: real }
        sync_rules:
          bucket_definitions:
            user_data:
              parameters: SELECT request.user_id() as user_id
              data:
                - SELECT * FROM documents WHERE owner_id = bucket.user_id

        """

    @Test func mutatedConfigsLoadOrReportPositions() async throws {
        try await onOwnThread {
            let sample = try String(contentsOf: sampleConfigURL, encoding: .utf8)
            let mutator = ByteMutator(
                seeds: [Array(Self.compact.utf8), Array(sample.utf8)],
                dictionary: [
                    "\n", "  ", "    ", "- ", ": ", "{ ", " }", "[", "]", "&anchor ", "*anchor", "<<: *anchor\n",
                    "!!str ",
                    "!!int ", "!!binary ", "? ", "|\n", ">-\n", "#", "---\n", "...\n", "%TAG ! tag:x:\n", "\t", "~",
                    "null",
                    "${", "${UNSET}", "${JWK_SECRET}", "${X:-", "type: ", "integer", "timestamp", "uuid",
                    "primary_key: ",
                    "local_only: ", "default: ", "nullable: ", "tables:", "columns:", "listen: ", "0.0.0.0:99999",
                    "[::1]:0",
                    "max_body_bytes: -1", "99999999999999999999999", "0x", "0o777", ".inf", ".nan", "yes", "no", "\"",
                    "'",
                ])
            let environment = ["JWK_SECRET": Self.environmentSecret, "BASE_URL": "http://localhost:3011"]
            let loader = ConfigLoader(environment: environment, workingDirectory: "/nonexistent-fuzz")
            let file = "/nonexistent-fuzz/stack.yaml"
            var run = FuzzRun("config", count: 4_000, seconds: 6)
            var unpositioned = 0
            for index in run.indices {
                var random = run.random(index)
                let text = String(decoding: mutator.mutant(using: &random), as: UTF8.self)
                do {
                    _ = try loader.parse(text, file: file)
                    run.record(accepted: true)
                } catch ConfigError.invalid(let diagnostics) {
                    run.record(accepted: false)
                    #expect(!diagnostics.isEmpty, "\(run.origin(index)): invalid without a diagnostic")
                    let lines = 1 + text.filter(\.isNewline).count
                    for diagnostic in diagnostics {
                        #expect(diagnostic.file == file && !diagnostic.message.isEmpty, "\(run.origin(index))")
                        #expect(
                            diagnostic.line >= 0 && diagnostic.line <= lines + 1, "\(run.origin(index)): \(diagnostic)")
                        #expect(diagnostic.column >= 0, "\(run.origin(index)): \(diagnostic)")
                        #expect(diagnostic.description.hasPrefix("\(file):\(diagnostic.line):\(diagnostic.column): "))
                        if diagnostic.line == 0 { unpositioned += 1 }
                    }
                    let report = ConfigError.invalid(diagnostics).description
                    #expect(!report.contains(Self.environmentSecret), "\(run.origin(index)): environment secret echoed")
                    // A mutant may move a secret's text into a key or a scalar of its own; only where it still sits in
                    // its place is it a secret.
                    if Self.occurrences(of: Self.secret, in: text)
                        == Self.occurrences(of: "secret: \(Self.secret)\n", in: text)
                    {
                        #expect(!report.contains(Self.secret), "\(run.origin(index)): auth.secret echoed:\n\(report)")
                    }
                    if Self.occurrences(of: Self.password, in: text)
                        == Self.occurrences(of: ":\(Self.password)@", in: text)
                    {
                        #expect(
                            !report.contains(Self.password),
                            "\(run.origin(index)): database password echoed:\n\(report)")
                    }
                } catch {
                    Issue.record("\(run.origin(index)): parse threw \(type(of: error)), not ConfigError.invalid")
                    run.record(accepted: false)
                }
            }
            run.report()
            print("FUZZ config: \(unpositioned) diagnostics without a line (line 0)")
            #expect(run.rejected > 0)
        }
    }

    static func occurrences(of needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }
}
