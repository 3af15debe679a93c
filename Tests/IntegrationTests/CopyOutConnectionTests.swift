import PostgresNIO
import StackCore
import StackPostgres
import StackTesting
import Testing

@Suite("COPY out through libpq")
struct CopyOutConnectionTests {
    static let texts: [String?] = [
        "plain", "", nil, "tab\there", "line\nbreak", "carriage\rreturn", "back\\slash", "\\N", "\\", "quote ' here",
        "ü 🙂 中", "\u{8}\u{C}\u{B}\u{1}", String(repeating: "x", count: 100_000),
    ]

    @Test("rows come back as Postgres stores them, and values enter the query only as quoted literals")
    func roundTrip() async throws {
        let database = try await TestPostgres.shared().makeDatabase(prefix: "copyout")
        try await PostgresClient.withClient(database.databaseURL, logger: testLogger) { client in
            try await client.query(
                "CREATE TABLE items (position bigint PRIMARY KEY, value text, key text)", logger: testLogger)
            for (position, text) in Self.texts.enumerated() {
                try await client.query(
                    "INSERT INTO items VALUES (\(Int64(position)), \(text), \("k'\\" + String(position)))",
                    logger: testLogger)
            }
        }
        let source = try await CopyOutConnection.connect(url: database.url)
        let bytes = try await source.copyOut { _ in "SELECT position, value FROM items ORDER BY position" }
        var read: [[String?]] = []
        try CopyTextReader(bytes).forEachRow(columns: 2) { read.append($0) }
        #expect(read.map { $0[0] } == Self.texts.indices.map { String($0) })
        #expect(read.map { $0[1] } == Self.texts)

        // A key with a quote and a backslash, compared as a literal: exactly the rows after it.
        let after = try await source.copyOut { literal in
            "SELECT position FROM items WHERE key > \(try literal("k'\\5")) ORDER BY key"
        }
        var positions: [String?] = []
        try CopyTextReader(after).forEachRow(columns: 1) { positions.append($0[0]) }
        #expect(positions == ["6", "7", "8", "9"])
        await source.close()
    }

    @Test("a failing query says why, and the connection still works after it")
    func failure() async throws {
        let database = try await TestPostgres.shared().makeDatabase(prefix: "copyout")
        let source = try await CopyOutConnection.connect(url: database.url)
        do {
            _ = try await source.copyOut { _ in "SELECT * FROM no_such_table" }
            Issue.record("a COPY of a missing table succeeded")
        } catch let error as StackError {
            #expect(error.code == "STACK-R044")
            #expect(error.message.contains("no_such_table") && error.message.contains("42P01"))
        }
        let bytes = try await source.copyOut { _ in "SELECT 1" }
        #expect(bytes == Array("1\n".utf8))
        await source.close()
        await #expect(throws: StackError.self) { try await source.copyOut { _ in "SELECT 1" } }
    }

    @Test("cancelling the reading task cancels the COPY on the server, and the connection stays usable")
    func cancellation() async throws {
        let database = try await TestPostgres.shared().makeDatabase(prefix: "copyout")
        let source = try await CopyOutConnection.connect(url: database.url)
        let started = ContinuousClock.now
        let reading = Task { try await source.copyOut { _ in "SELECT pg_sleep(60)" } }
        try await Task.sleep(for: .milliseconds(300))
        reading.cancel()
        do {
            _ = try await reading.value
            Issue.record("a cancelled COPY returned rows")
        } catch let error as StackError {
            #expect(error.code == "STACK-R044")
            #expect(error.message.contains("57014"))  // query_canceled
        }
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(try await source.copyOut { _ in "SELECT 2" } == Array("2\n".utf8))
        await source.close()
    }

    @Test("a server that is not there is a clear connect error without the password")
    func connectFailure() async throws {
        let port = try PortProbe.freePort()
        do {
            _ = try await CopyOutConnection.connect(url: "postgres://u:secret-pw@127.0.0.1:\(port)/db")
            Issue.record("connected to a closed port")
        } catch let error as StackError {
            #expect(error.code == "STACK-R043")
            #expect(!error.message.contains("secret-pw"))
        }
    }
}
