import Foundation
import StackServer
import StackSyncRules
import Testing

/// Changed sync rules (PROTOCOL §6.6) on a real `stack up` child: the new stream is built in the background while
/// the old one serves, swapped in atomically once caught up, and the old slot and data are dropped.
@Suite("changed sync rules: background build, atomic swap", .serialized)
struct RulesSwapTests {
    /// Rules A: one bucket per owner with every document.
    static let rulesA = """
        bucket_definitions:
          by_owner:
            parameters: SELECT request.user_id() as user_id
            data:
              - SELECT id, title FROM documents WHERE owner_id = bucket.user_id
        """

    /// Rules B: another layout: the owner's open documents (with their status) and the owner's tags.
    static let rulesB = """
        bucket_definitions:
          open_docs:
            parameters: SELECT request.user_id() as user_id
            data:
              - SELECT id, title, status FROM documents WHERE owner_id = bucket.user_id AND status = 'open'
          user_tags:
            parameters: SELECT request.user_id() as user_id
            data:
              - SELECT id, name FROM tags WHERE owner_id = bucket.user_id
        """

    /// Rules with an error on line 5 (LIMIT is not supported).
    static let rulesInvalid = """
        bucket_definitions:
          by_owner:
            parameters: SELECT request.user_id() as user_id
            data:
              - SELECT id, title FROM documents WHERE owner_id = bucket.user_id LIMIT 5
        """

    enum Trigger { case restart, reload }

    @Test("stack up with changed rules: the old stream serves and advances while the new one builds, then is dropped")
    func swapOnRestart() async throws {
        try await swap(.restart)
    }

    @Test("stack sync reload: the new stream builds while the old one serves; swap, drop, client follows")
    func swapOnReload() async throws {
        try await swap(.reload)
    }

    private func swap(_ trigger: Trigger) async throws {
        let stack = try await SwapStack(rules: Self.rulesA)
        let client = SwapClient(syncURL: stack.syncURL, token: stack.token("user-a"))
        let clientTask = Task { await client.run() }
        do {
            try await scenario(trigger, stack: stack, client: client)
        } catch {
            clientTask.cancel()
            await stack.cleanUp()
            throw error
        }
        clientTask.cancel()
        await stack.cleanUp()
    }

    private func scenario(_ trigger: Trigger, stack: SwapStack, client: SwapClient) async throws {
        try await stack.start()
        try await stack.sql(
            """
            INSERT INTO documents VALUES ('d1', 'first', 'user-a', 'open'), ('d2', 'second', 'user-a', 'done'),
              ('d3', 'third', 'user-a', 'open'), ('d4', 'other', 'user-b', 'open')
            """,
            "INSERT INTO tags VALUES ('t1', 'user-a', 'red'), ('t2', 'user-b', 'blue')")
        let a = try await stack.caughtUp()
        let aBucket = "\(a.id)#by_owner[\"user-a\"]"
        let rulesA = try SyncRules.parse(yaml: Self.rulesA)
        let expectedA = try await stack.expectedContents(rulesA, stream: a.id)
        try await waitFor(client, "rules A's bucket") {
            $0.buckets == [aBucket: expectedA[aBucket] ?? [:]] && $0.mismatches.isEmpty
        }

        // Creating the new stream's slot waits for this transaction: the build cannot finish before it commits.
        try await stack.block()
        try stack.writeRules(Self.rulesB)
        var reload: StackChild?
        switch trigger {
        case .restart:
            try await stack.stop()
            try await stack.start()
        case .reload:
            let child = try StackChild(["sync", "reload", "--config", stack.configPath])
            #expect(
                try await child.waitForOutput(timeout: .seconds(60)) { $0.contains("building stream") },
                "reload output: \(child.out) \(child.err)")
            reload = child
        }
        let building = try await eventually(timeout: .seconds(60)) {
            try await stack.streams()
        } until: {
            $0.contains { $0.id > a.id && $0.state == "PROCESSING" }
        }
        let b = try #require(building.last).id

        // While B builds, A serves: its checkpoints advance on writes and reach the connected client.
        try await stack.sql(
            "INSERT INTO documents VALUES ('d5', 'fifth', 'user-a', 'open')",
            "UPDATE documents SET title = 'first, edited' WHERE id = 'd1'",
            "UPDATE documents SET status = 'done' WHERE id = 'd3'")
        let advanced = try await stack.caughtUp()
        #expect(advanced.id == a.id && advanced.checkpoint > a.checkpoint)
        #expect(try await stack.streams().first { $0.id == b }?.state == "PROCESSING")
        let duringBuild = try await stack.expectedContents(rulesA, stream: a.id)
        #expect(try await stack.bucketContents(advanced) == duringBuild)
        try await waitFor(client, "rules A's bucket updated during the build") {
            $0.buckets == [aBucket: duringBuild[aBucket] ?? [:]] && $0.mismatches.isEmpty
        }

        try await stack.unblock()
        if let reload {
            let status = await reload.wait()
            #expect(status == 0, "reload: \(reload.out) \(reload.err)")
            // The pipe may still hold the last lines when the process has exited.
            let final = "stream \(b) serves the new rules; stream \(a.id), its slot and its bucket data are gone"
            #expect(try await reload.waitForOutput { $0.contains(final) }, "\(reload.out)")
        }
        _ = try await eventually(timeout: .seconds(120)) {
            try await stack.caughtUp()
        } until: {
            $0.id == b
        }

        // After the swap: B serves, holds exactly what rules B say, and keeps replicating.
        try await stack.sql("INSERT INTO tags VALUES ('t3', 'user-a', 'green')")
        let served = try await stack.caughtUp()
        #expect(served.id == b)
        let rulesB = try SyncRules.parse(yaml: Self.rulesB)
        let expectedB = try await stack.expectedContents(rulesB, stream: b)
        #expect(try await stack.bucketContents(served) == expectedB)
        #expect(expectedB["\(b)#user_tags[\"user-a\"]"]?.keys.sorted() == ["t1", "t3"])

        // The old stream is gone: its row, its slot and its bucket data.
        let dropped = try await eventually(timeout: .seconds(60)) {
            (try await stack.streams().map(\.id), try await stack.slots(), try await stack.storedRows(stream: a.id))
        } until: { state in
            state.0 == [b] && !state.1.contains(a.slot) && state.2 == 0
        }
        #expect(dropped.1 == [building.last!.slot])

        // The client connected across the swap ends with B's buckets, matching checksums and B's rows.
        let bBuckets: Set = ["\(b)#open_docs[\"user-a\"]", "\(b)#user_tags[\"user-a\"]"]
        let final = try await waitFor(client, "rules B's buckets after the swap") {
            Set($0.buckets.keys) == bBuckets && $0.opID >= served.checkpoint && $0.mismatches.isEmpty
        }
        for bucket in bBuckets { #expect(final.buckets[bucket] == expectedB[bucket] ?? [:], "\(bucket)") }
        #expect(client.layouts.first == [aBucket] && client.layouts.last == bBuckets, "\(client.layouts)")
    }

    /// Waits until the client's state satisfies `done`; the error shows what it holds instead.
    @discardableResult
    private func waitFor(
        _ client: SwapClient, _ what: String, _ done: @escaping (SwapClient.Snapshot) -> Bool
    ) async throws -> SwapClient.Snapshot {
        do {
            return try await eventually(timeout: .seconds(60), { client.snapshot }, until: done)
        } catch {
            throw SyncTestError("\(what): not reached; the client holds \(client.snapshot), layouts \(client.layouts)")
        }
    }

    @Test("a reload back to the served rules during a build abandons the build, even one waiting for a transaction")
    func reloadDuringBuildReverts() async throws {
        let stack = try await SwapStack(rules: Self.rulesA)
        do {
            try await revert(stack)
        } catch {
            await stack.cleanUp()
            throw error
        }
        await stack.cleanUp()
    }

    private func revert(_ stack: SwapStack) async throws {
        try await stack.start()
        try await stack.sql("INSERT INTO documents VALUES ('d1', 'first', 'user-a', 'open')")
        let a = try await stack.caughtUp()
        try await stack.block()
        try stack.writeRules(Self.rulesB)
        let started = try await runStack(["sync", "reload", "--no-wait", "--json", "--config", stack.configPath])
        #expect(started.status == 0, "\(started.err)")
        let building = try JSONDecoder().decode(ReloadStatus.self, from: Data(started.out.utf8))
        #expect(building.state == .building && !building.done && building.replaced == a.id, "\(started.out)")
        let b = try #require(building.stream)
        #expect(b > a.id)

        try stack.writeRules(Self.rulesA)
        let back = try await runStack(["sync", "reload", "--json", "--config", stack.configPath])
        #expect(back.status == 0, "\(back.err)")
        let reverted = try JSONDecoder().decode(ReloadStatus.self, from: Data(back.out.utf8))
        #expect(reverted.state == .reverted && reverted.stream == a.id && reverted.replaced == b, "\(back.out)")

        // The abandoned build is stopped and dropped while the transaction it waited for is still open.
        _ = try await eventually(timeout: .seconds(60)) {
            (try await stack.streams().map(\.id), try await stack.slots(), try await stack.storedRows(stream: b))
        } until: { state in
            state.0 == [a.id] && state.1 == [a.slot] && state.2 == 0
        }
        try await stack.unblock()
        try await stack.sql("INSERT INTO documents VALUES ('d2', 'second', 'user-a', 'open')")
        let after = try await stack.caughtUp()
        #expect(after.id == a.id && after.checkpoint > a.checkpoint)
    }

    @Test("invalid rules are refused with their positions and unchanged rules are a no-op; the stream is untouched")
    func invalidAndUnchangedReloads() async throws {
        let stack = try await SwapStack(rules: Self.rulesA)
        do {
            try await refusals(stack)
        } catch {
            await stack.cleanUp()
            throw error
        }
        await stack.cleanUp()
    }

    private func refusals(_ stack: SwapStack) async throws {
        try await stack.start()
        try await stack.sql("INSERT INTO documents VALUES ('d1', 'first', 'user-a', 'open')")
        let a = try await stack.caughtUp()

        // Unchanged: the stack answers, nothing is built.
        let same = try await runStack(["sync", "reload", "--json", "--config", stack.configPath])
        #expect(same.status == 0, "\(same.err)")
        let unchanged = try JSONDecoder().decode(ReloadStatus.self, from: Data(same.out.utf8))
        #expect(unchanged.state == .unchanged && unchanged.done && unchanged.stream == a.id, "\(same.out)")
        #expect(unchanged.reload == 1)

        // Invalid, through the command: refused with the file, line and column, before any signal.
        try stack.writeRules(Self.rulesInvalid)
        let text = try await runStack(["sync", "reload", "--config", stack.configPath])
        #expect(text.status == 1)
        #expect(text.err.contains("rules.yaml:5:") && text.err.contains("STACK-S103"), "\(text.err)")
        #expect(text.err.contains("the running stream is unchanged"), "\(text.err)")
        let json = try await runStack(["sync", "reload", "--json", "--config", stack.configPath])
        #expect(json.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
        #expect(object["state"] as? String == "invalid", "\(json.out)")
        let problems = try #require(object["problems"] as? [[String: Any]])
        #expect(problems.count == 1)
        #expect(problems.first?["line"] as? Int == 5 && (problems.first?["column"] as? Int ?? 0) > 0, "\(problems)")
        #expect((problems.first?["file"] as? String)?.hasSuffix("/rules.yaml") == true)
        #expect(ReloadStatus.read(stateDir: stack.stateDir)?.reload == 1)

        // Invalid, by a plain SIGHUP: the stack checks the rules itself and keeps the running stream.
        kill(stack.pid, SIGHUP)
        let refused = try await eventually {
            ReloadStatus.read(stateDir: stack.stateDir)
        } until: {
            $0?.reload == 2 && $0?.done == true
        }
        #expect(refused?.state == .invalid && refused?.problems.first?.line == 5, "\(String(describing: refused))")

        // Untouched: one stream, still replicating.
        try await stack.sql("INSERT INTO documents VALUES ('d2', 'second', 'user-a', 'open')")
        let after = try await stack.caughtUp()
        #expect(after.id == a.id && after.checkpoint > a.checkpoint)
        #expect(try await stack.streams().map(\.id) == [a.id])
        #expect(try await stack.slots() == [a.slot])
    }
}
