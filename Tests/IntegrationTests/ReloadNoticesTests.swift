import Foundation
import Testing

/// What `stack sync reload` says besides the swap: rule warnings, settings that need a restart, tables not created yet.
@Suite("stack sync reload: warnings, restart notes, missing tables", .serialized)
struct ReloadNoticesTests {
    /// Rules A with a column the documents table does not have (a warning, accepted as by stack up).
    static let rulesWithWarning = """
        bucket_definitions:
          by_owner:
            parameters: SELECT request.user_id() as user_id
            data:
              - SELECT id, title, nam FROM documents WHERE owner_id = bucket.user_id
        """

    @Test("warnings are printed, other changed settings are named, rules on a table Postgres lacks are refused")
    func notices() async throws {
        let stack = try await SwapStack(rules: RulesSwapTests.rulesA)
        do {
            try await scenario(stack)
        } catch {
            await stack.cleanUp()
            throw error
        }
        await stack.cleanUp()
    }

    private func scenario(_ stack: SwapStack) async throws {
        try await stack.start()
        let a = try await stack.caughtUp()

        try stack.writeRules(Self.rulesWithWarning)
        let warned = try await runStack(["sync", "reload", "--config", stack.configPath])
        #expect(warned.status == 0, "\(warned.err)")
        #expect(warned.err.contains("warning: [STACK-S109] Column not found: nam"), "\(warned.err)")
        #expect(warned.err.contains(stack.rulesPath + ":5:"), "\(warned.err)")
        #expect(!warned.err.contains("note:"), "nothing but the rules changed: \(warned.err)")
        let b = try await stack.caughtUp()
        #expect(b.id > a.id)

        // Another setting changes, the rules do not: the reload is a no-op and says a restart is needed.
        let config = try String(contentsOfFile: stack.configPath, encoding: .utf8)
        try config.replacingOccurrences(of: "api:\n", with: "api:\n  max_body_bytes: 2000000\n").write(
            toFile: stack.configPath, atomically: true, encoding: .utf8)
        let unchanged = try await runStack(["sync", "reload", "--config", stack.configPath])
        #expect(unchanged.status == 0, "\(unchanged.err)")
        #expect(unchanged.out.contains("sync rules unchanged"), "\(unchanged.out)")
        #expect(
            unchanged.err.contains(
                "note: api changed in \(stack.configPath) since stack up; a reload applies only sync_rules, so the "
                    + "other changes take effect after stack down && stack up"), "\(unchanged.err)")

        // A new table in the schema and a rule for it: Postgres has no such table until stack up creates it.
        let withTable = try String(contentsOfFile: stack.configPath, encoding: .utf8).replacingOccurrences(
            of: "schema:\n  tables:\n",
            with: "schema:\n  tables:\n    notes2:\n      columns:\n        id: { type: text, primary_key: true }\n"
                + "        owner_id: text\n")
        try withTable.write(toFile: stack.configPath, atomically: true, encoding: .utf8)
        try stack.writeRules(
            Self.rulesWithWarning + "\n      - SELECT id FROM notes2 WHERE owner_id = bucket.user_id\n")
        let refused = try await runStack(["sync", "reload", "--config", stack.configPath])
        #expect(refused.status == 1, "\(refused.out)")
        #expect(refused.err.contains("STACK-R110: the sync rules use table public.notes2 ("), "\(refused.err)")
        #expect(refused.err.contains("Run stack down && stack up to create them"), "\(refused.err)")
        #expect(try await stack.streams().map(\.id) == [b.id], "the running stream is unchanged")
    }
}
