import PostgresNIO
import StackPostgres
import StackTesting
import Testing

/// Queries on connections the server closes: an answer or an error, never a wait without end.
@Suite("queries on closed connections")
struct ClosedConnectionTests {
    @Test("a connection terminated under a query, or before one, fails the query at once; the pool goes on")
    func terminatedConnections() async throws {
        let database = try await TestPostgres.shared().makeDatabase(prefix: "closed")
        try await PostgresClient.withClient(database.databaseURL, logger: testLogger) { client in
            try await client.withConnection { connection in
                let pid = try #require(
                    try await connection.queryIfOpen("SELECT pg_backend_pid()", logger: testLogger).collect().first?
                        .decode(Int32.self))
                // Terminated from another session while this one sleeps in a query.
                let sleeping = Task {
                    try await connection.queryIfOpen("SELECT pg_sleep(60)", logger: testLogger).collect()
                }
                try await Task.sleep(for: .milliseconds(300))
                let killed = try await client.queryIfOpen(
                    "SELECT pg_terminate_backend(\(pid))", logger: testLogger
                ).collect().first?.decode(Bool.self)
                #expect(killed == true)
                await #expect(throws: (any Error).self) { _ = try await sleeping.value }
                try await connection.closeFuture.get()
                // The next statement on the closed connection is refused, not left unanswered.
                await #expect(throws: PostgresConnectionClosed.self) {
                    try await connection.queryIfOpen("SELECT 1", logger: testLogger)
                }
            }
            // The pool leases a live connection next.
            let one = try await client.queryIfOpen("SELECT 1", logger: testLogger).collect().first?.decode(Int.self)
            #expect(one == 1)
        }
    }

    @Test("one connection closing after many queries fails nothing on another connection of the pool")
    func oneCallbackPerConnection() async throws {
        let database = try await TestPostgres.shared().makeDatabase(prefix: "closed")
        try await PostgresClient.withClient(database.databaseURL, logger: testLogger) { client in
            try await client.withConnection { first in
                try await client.withConnection { second in
                    for value in 0..<200 {
                        let rows = try await first.queryIfOpen("SELECT \(value)::int", logger: testLogger)
                        for try await read in rows.decode(Int.self) { #expect(read == value) }
                    }
                    try await first.close()
                    let still = try await second.queryIfOpen("SELECT 7::int", logger: testLogger)
                    for try await read in still.decode(Int.self) { #expect(read == 7) }
                }
            }
        }
    }
}
