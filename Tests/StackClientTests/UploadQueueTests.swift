import Foundation
import GRDB
import Logging
import StackClient
import StackCore
import StackProtocol
import Testing

@Suite struct UploadQueueTests {
    static let fast = RetryPolicy(initialDelay: .milliseconds(10), maxDelay: .milliseconds(40), maxAttempts: 4)

    static func credentials(_ url: String, token: String = "jwt-0") -> SyncCredentials {
        SyncCredentials(endpoint: url, token: token, userID: "u1")
    }

    static func transaction(_ id: String) -> CrudTransaction {
        CrudTransaction(transactionID: 1, entries: [
            CrudEntry(id: 1, transactionID: 1, operation: CrudOperation(op: .put, table: "todos", id: id, data: ["title": .string("x")])),
        ])
    }

    @Test func eachStatusMapsToTheDocumentedOutcome() async throws {
        let server = ScriptedServer()
        await server.script(uploads: [200, 200, 401, 400, 403, 422, 500, 503, 404], rejectOnSuccess: [2])
        try await server.serve { url in
            let connector = StackConnector(apiBaseURL: url)
            var outcomes: [UploadOutcome] = []
            for _ in 0..<9 {
                outcomes.append(await connector.upload(Self.transaction("a"), clientID: "c", credentials: Self.credentials(url)))
            }
            #expect(outcomes[0] == .processed(rejected: []))
            #expect(outcomes[1] == .processed(rejected: [
                UploadRejectionRecord(opID: "1", opIndex: 0, status: 200, code: "STACK-U010", message: "not yours"),
            ]))
            #expect(outcomes[2] == .unauthorized)
            #expect(outcomes[3] == .refused(status: 400, message: "status 400"))
            #expect(outcomes[4] == .refused(status: 403, message: "status 403"))
            #expect(outcomes[5] == .refused(status: 422, message: "status 422"))
            #expect(outcomes[6] == .retry(detail: "HTTP 500"))
            #expect(outcomes[7] == .retry(detail: "HTTP 503"))
            // A missing endpoint did not process anything: completing would drop the write.
            #expect(outcomes[8] == .retry(detail: "HTTP 404"))
        }
        // Nothing listens on port 1: a network failure keeps the transaction for a retry.
        var offline = StackConnector(apiBaseURL: "http://127.0.0.1:1")
        offline.requestTimeout = .seconds(1)
        let outcome = await offline.upload(Self.transaction("a"), clientID: "c", credentials: Self.credentials("http://127.0.0.1:1"))
        guard case .retry = outcome else {
            Issue.record("network failure must be retried, got \(outcome)")
            return
        }
    }

    @Test func drainAppliesTheRulesOneTransactionAtATime() async throws {
        let database = try TestSupport.openDatabase()
        for id in ["t1", "t2", "t3"] {
            try database.write { db in try db.execute(sql: "INSERT INTO todos(id, title) VALUES (?, 'x')", arguments: [id]) }
        }
        let server = ScriptedServer()
        // t1: 503 then 200; t2: 401, refresh, then 200 with a rejection; t3: 422 (completed and recorded).
        await server.script(uploads: [503, 200, 401, 200, 422], rejectOnSuccess: [4])
        let summary = try await server.serve { url in
            let connector = StackConnector(apiBaseURL: url)
            let queue = UploadQueue(database: database, connector: connector, retry: Self.fast, logger: Logger(label: "test"))
            return try await queue.drain(credentials: Self.credentials(url)) {
                try await connector.fetchCredentials(sessionToken: "session-1")
            }
        }
        #expect(summary.completed == 3)
        #expect(summary.rejected == 2)
        #expect(summary.drained)
        #expect(summary.writeCheckpoint == OpID(9))
        let uploads = await server.uploads
        #expect(uploads.map { $0.body.transactions[0].ops[0].id } == ["t1", "t1", "t2", "t2", "t3"])
        #expect(uploads.map(\.authorization) == ["Bearer jwt-0", "Bearer jwt-0", "Bearer jwt-0", "Bearer jwt-1", "Bearer jwt-1"])
        #expect(uploads[0].body.clientID == (try database.clientID()))
        #expect(try TestSupport.crud(database).isEmpty)
        let rejected = try database.read { db in try Row.fetchAll(db, sql: "SELECT status, code FROM ps_rejected ORDER BY id") }
        #expect(rejected.map { $0["code"] as String } == ["STACK-U010", "HTTP_422"])
        #expect(try database.read { try ClientDatabase.kv($0, ClientKV.targetWriteCheckpoint) } == "9")
    }

    @Test func retriesRunOutButTheQueueIsKept() async throws {
        let database = try TestSupport.openDatabase()
        try database.write { db in try db.execute(sql: "INSERT INTO todos(id, title) VALUES ('t1', 'x')") }
        let server = ScriptedServer()
        await server.script(uploads: [500, 500, 500, 500, 500])
        let summary = try await server.serve { url in
            let queue = UploadQueue(
                database: database, connector: StackConnector(apiBaseURL: url), retry: Self.fast, logger: Logger(label: "t"))
            return try await queue.drain(credentials: Self.credentials(url)) { Self.credentials(url) }
        }
        #expect(!summary.drained)
        #expect(summary.writeCheckpoint == nil)
        #expect(try TestSupport.crud(database).count == 1)
        #expect(await server.uploads.count == Self.fast.maxAttempts)
    }

    @Test func syncOnceUploadsThenAppliesOnceTheWriteCheckpointIsBack() async throws {
        let database = try TestSupport.openDatabase()
        try DeviceAccount.signIn(database, account: DeviceAccount(userID: "u1", email: nil, sessionToken: "session-1"))
        try database.write { db in try db.execute(sql: "INSERT INTO todos(id, title) VALUES ('mine', 'local')") }
        let mine = TestSupport.put(1, "mine", title: "local")
        let other = TestSupport.put(2, "b", title: "B")
        let server = ScriptedServer()
        await server.script(uploads: [200], stream: [
            .checkpoint(Checkpoint(lastOpID: 2, writeCheckpoint: 9, buckets: [TestSupport.bucket("u", [mine, other])])),
            .data(TestSupport.batch("u", [mine, other])),
            .checkpointComplete(CheckpointComplete(lastOpID: 2)),
        ])
        let report = try await server.serve { url in
            let client = SyncClient(
                database: database, connector: StackConnector(apiBaseURL: url), retry: Self.fast, logger: Logger(label: "t"))
            return try await client.syncOnce()
        }
        #expect(report.uploads.completed == 1)
        #expect(report.appliedCheckpoint == OpID(2))
        #expect(report.rowsApplied == 2)
        #expect(try TestSupport.titles(database) == ["mine": "local", "b": "B"])
        let request = try #require(await server.streamRequests.first)
        #expect(request.rawData == true)
        #expect(request.clientID == (try database.clientID()))
    }
}
