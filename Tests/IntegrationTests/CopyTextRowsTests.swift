import PostgresNIO
import StackPostgres
import StackTesting
import Testing

@Suite("COPY text rows")
struct CopyTextRowsTests {
    @Test("every value comes back from Postgres exactly as written, NULL included")
    func roundTrip() async throws {
        let database = try await TestPostgres.shared().makeDatabase(prefix: "copy")
        let texts: [String?] = [
            "plain", "", nil, "tab\there", "line\nbreak", "carriage\rreturn", "back\\slash", "\\N", "\\.", "\\",
            "ends with backslash\\", "ü 🙂 中", "0123456789abcdef\t", "01234567\\89abcdef", "ÿÿÿÿÿÿÿÿ\u{1F}",
            "{\"json\":\"a\\\"b\"}", String(repeating: "x", count: 100_000),
        ]
        try await PostgresClient.withClient(database.databaseURL, logger: testLogger) { client in
            try await client.query("CREATE SCHEMA copytest", logger: testLogger)
            try await client.query(
                "CREATE TABLE copytest.values (position bigint PRIMARY KEY, value text, number bigint)",
                logger: testLogger)
            var rows = CopyTextRows(capacity: 16)
            for (position, text) in texts.enumerated() {
                rows.append(position)
                rows.append(text)
                rows.append(Int64.min + Int64(position))
                rows.endRow()
            }
            #expect(rows.count == texts.count)
            try await client.transaction(logger: testLogger) { connection in
                try await connection.queryIfOpen("SET LOCAL search_path TO copytest", logger: testLogger)
                try await connection.copy(
                    rows, into: "values", columns: ["position", "value", "number"], logger: testLogger)
            }
            let stored = try await client.query(
                "SELECT position, value, number FROM copytest.values ORDER BY position", logger: testLogger)
            var read: [(Int64, String?, Int64)] = []
            for try await row in stored.decode((Int64, String?, Int64).self) { read.append(row) }
            #expect(read.map(\.0) == Array(0..<Int64(texts.count)))
            #expect(read.map(\.1) == texts)
            #expect(read.map(\.2) == texts.indices.map { Int64.min + Int64($0) })
        }
    }

    @Test("integers are written as their decimal text, the extremes and zero included")
    func integerText() {
        var rows = CopyTextRows(capacity: 4)
        for value: Int64 in [0, 7, -7, 10, -10, 1_234_567_890, .max, .min] { rows.append(value) }
        rows.append(Int(-42))
        rows.appendNull()
        rows.endRow()
        let text = String(buffer: rows.buffer)
        #expect(
            text
                == "0\t7\t-7\t10\t-10\t1234567890\t9223372036854775807\t-9223372036854775808\t-42\t\\N\n")
    }

    @Test("a malformed row fails the COPY and its transaction writes nothing")
    func malformedRowWritesNothing() async throws {
        let database = try await TestPostgres.shared().makeDatabase(prefix: "copy")
        try await PostgresClient.withClient(database.databaseURL, logger: testLogger) { client in
            try await client.query("CREATE TABLE numbers (n bigint PRIMARY KEY)", logger: testLogger)
            var rows = CopyTextRows()
            rows.append(1)
            rows.endRow()
            rows.append("not a number")
            rows.endRow()
            await #expect(throws: (any Error).self) {
                try await client.transaction(logger: testLogger) { connection in
                    try await connection.copy(rows, into: "numbers", columns: ["n"], logger: testLogger)
                }
            }
            let count = try await client.query("SELECT count(*)::bigint FROM numbers", logger: testLogger)
            for try await value in count.decode(Int64.self) { #expect(value == 0) }
        }
    }
}
