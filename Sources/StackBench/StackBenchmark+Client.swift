import AsyncHTTPClient
import Foundation
import GRDB
import Logging
import NIOCore
import PostgresNIO
import StackBuckets
import StackClient
import StackPostgres

#if canImport(Glibc)
    import Glibc
#endif

extension StackBenchmark {
    /// Snapshot of `rows` existing rows (a re-snapshot on start, vs COPY of the table) and a fresh device applying
    /// them into SQLite (vs a plain SQLite bulk insert of the same rows).
    static func snapshotAndClientApply(
        _ options: BenchOptions, stack: BenchStack, db: PostgresClient, url: DatabaseURL,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> (stack: BenchStack, figures: [BenchFigure]) {
        let logger = Logger(label: "stack.bench")
        let rows = options.rows
        let devices = try BenchDevices(stack: stack, directory: options.directory + "/devices")
        let user = try await devices.signUp("snapshot")
        progress("snapshot: \(rows) rows in the synced table, then kill -9, drop the stream, stack up re-snapshots")
        // Only these rows in the synced table, so the snapshot covers exactly them. The stream is dropped below.
        try await db.query("TRUNCATE bench_docs", logger: logger)
        try await db.query(
            """
            INSERT INTO bench_docs SELECT 's-' || g, \(user.id), 'title ' || g, repeat(md5(g::text), 6)
            FROM generate_series(1, \(rows)) g
            """, logger: logger)
        var stack = stack
        var snapshotRates: [Double] = []
        var copyRates: [Double] = []
        for round in 1...options.runs {
            progress("snapshot of \(rows) rows, round \(round)/\(options.runs)")
            try await stack.kill()
            try await dropStreams(db, logger: logger)
            settleDisk()
            let copyStart = ContinuousClock.now
            let copied = try CopyOut.run(url, query: "SELECT id, owner_id, title, content FROM bench_docs")
            copyRates.append(Double(copied.rows) / (ContinuousClock.now - copyStart).seconds)
            settleDisk()
            stack = try stack.restart()
            // `stack up` is ready at the first checkpoint, right after the snapshot: from the stream's creation
            // (server clock) to now is the snapshot, plus a few milliseconds of readiness reporting.
            let seconds =
                try await db.query(
                    """
                    SELECT extract(epoch FROM clock_timestamp() - created_at)::float8
                    FROM powersync.replication_streams ORDER BY id DESC LIMIT 1
                    """, logger: logger
                ).collect().first?.decode(Double.self) ?? 0
            guard seconds > 0 else { throw BenchError("no replication stream after the restart") }
            snapshotRates.append(Double(copied.rows) / seconds)
        }

        var applyRates: [Double] = []
        var sqliteRates: [Double] = []
        for round in 1...options.runs {
            progress("client apply: a fresh device syncs \(rows) rows into SQLite, round \(round)/\(options.runs)")
            let device = try devices.device("apply-\(round)", user: user)
            applyRates.append(Double(rows) / (try await timedInitialSync(device, rows: rows)))
            let same = try device.database.read { db in
                try Row.fetchAll(db, sql: "SELECT id, title, content FROM bench_docs").map {
                    [$0[0] as String, $0[1] as String, $0[2] as String]
                }
            }
            sqliteRates.append(try plainSQLiteInsert(same, path: devices.directory + "/plain-\(round).sqlite"))
        }
        // The same download with the server's side taken out: recorded once, replayed from memory on loopback.
        let credentials = try await devices.connector.fetchCredentials(sessionToken: user.sessionToken)
        let replay = ReplayServer(
            stream: try await ReplayServer.record(
                syncURL: credentials.endpoint, token: credentials.token, client: StackConnector.deviceHTTPClient),
            userID: user.id)
        var replayRates: [Double] = []
        for round in 1...options.runs {
            progress(
                "client only: a fresh device applies the recorded stream of \(rows) rows, round \(round)/\(options.runs)"
            )
            let seconds = try await replay.serve { url in
                try await timedInitialSync(
                    try devices.device("replay-\(round)", user: user, apiBaseURL: url), rows: rows)
            }
            replayRates.append(Double(rows) / seconds)
        }
        let figures = [
            BenchFigure(
                "snapshot_rows_per_s", "snapshot: \(rows) existing rows, stream created to first checkpoint",
                snapshotRates, unit: "rows/s", baseline: "COPY … TO STDOUT of the table",
                baselineValue: BenchFigure.median(copyRates)),
            BenchFigure(
                "baseline_copy_table_rows_per_s", "baseline: COPY … TO STDOUT of the table", copyRates,
                unit: "rows/s"),
            BenchFigure(
                "client_apply_rows_per_s", "client apply: fresh device, \(rows) rows downloaded and applied to SQLite",
                applyRates, unit: "rows/s", baseline: "plain SQLite bulk insert of the same rows",
                baselineValue: BenchFigure.median(sqliteRates)),
            BenchFigure(
                "client_replay_rows_per_s",
                "client only: fresh device, the same \(rows) rows from a recorded stream replayed on loopback",
                replayRates, unit: "rows/s", baseline: "plain SQLite bulk insert of the same rows",
                baselineValue: BenchFigure.median(sqliteRates)),
            BenchFigure(
                "baseline_sqlite_insert_rows_per_s", "baseline: plain SQLite bulk insert (one transaction)",
                sqliteRates, unit: "rows/s"),
        ]
        return (stack, figures)
    }

    /// Seconds a fresh device takes to sync and apply its first checkpoint, which must bring `rows` bench rows.
    static func timedInitialSync(_ device: SyncClient, rows: Int) async throws -> Double {
        settleDisk()
        let start = ContinuousClock.now
        let report = try await device.syncOnce()
        let seconds = (ContinuousClock.now - start).seconds
        let stored = try device.database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM bench_docs") }
        guard stored == rows, report.appliedCheckpoint != nil else {
            throw BenchError("the device holds \(stored ?? 0) rows after sync, expected \(rows)")
        }
        return seconds
    }

    /// Writes out the page cache's dirty pages, so a timed section does not pay for the writeback of the ones before
    /// it (a 100k-row device file is ~100 MB; the kernel flushes it in the background for seconds).
    static func settleDisk() {
        Glibc.sync()
    }

    /// Drops every replication stream and its slot, as `stack sync rebuild` does, while the stack is down.
    static func dropStreams(_ db: PostgresClient, logger: Logger) async throws {
        let storage = BucketStorage(client: db, schema: "powersync", logger: logger)
        for stream in try await storage.allStreams() {
            // The killed child's walsender may hold the slot until Postgres notices the closed socket.
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                let active =
                    try await db.query(
                        "SELECT count(*)::int FROM pg_replication_slots WHERE slot_name = \(stream.slotName) AND active",
                        logger: logger
                    ).collect().first?.decode(Int.self) ?? 0
                if active == 0 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            try await db.query(
                """
                SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
                WHERE slot_name = \(stream.slotName) AND database = current_database()
                """, logger: logger)
            try await storage.deleteStream(stream.id)
        }
    }

    /// Inserts `rows` (id, title, content) into a plain table of a new SQLite file in one transaction with one
    /// prepared statement (WAL, as the client's database); returns rows/s.
    static func plainSQLiteInsert(_ rows: [[String]], path: String) throws -> Double {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE bench_docs (id TEXT PRIMARY KEY, title TEXT, content TEXT)")
        }
        settleDisk()
        let start = ContinuousClock.now
        try queue.write { db in
            let statement = try db.makeStatement(sql: "INSERT INTO bench_docs (id, title, content) VALUES (?, ?, ?)")
            for row in rows { try statement.execute(arguments: StatementArguments(row)) }
        }
        return Double(rows.count) / (ContinuousClock.now - start).seconds
    }

    /// Uploads of `uploadOps` PUTs per client transaction through `PUT /api/powersync/upload`, vs the same rows as
    /// one multi-row INSERT per transaction on an open connection.
    static func upload(
        _ options: BenchOptions, stack: BenchStack, db: PostgresClient, http: HTTPClient,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> [BenchFigure] {
        let logger = Logger(label: "stack.bench")
        let devices = try BenchDevices(stack: stack, directory: options.directory + "/devices")
        let user = try await devices.signUp("upload")
        let credentials = try await devices.connector.fetchCredentials(sessionToken: user.sessionToken)
        let run = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let ops = options.uploadOps
        func content(_ index: Int) -> String { String(repeating: String(index, radix: 16), count: 24) }
        var uploadRates: [Double] = []
        var insertRates: [Double] = []
        for round in 1...options.runs {
            progress(
                "upload: \(options.uploadTransactions) client transaction(s) of \(ops) PUTs, "
                    + "round \(round)/\(options.runs)")
            var uploadSeconds = 0.0
            var insertSeconds = 0.0
            for transaction in 0..<options.uploadTransactions {
                let prefix = "u-\(run)-\(round)-\(transaction)"
                let body = try JSONSerialization.data(withJSONObject: [
                    "client_id": "bench-\(run)",
                    "transactions": [
                        [
                            "op_id": prefix,
                            "ops": (0..<ops).map { index in
                                [
                                    "op": "PUT", "table": "bench_docs", "id": "\(prefix)-\(index)",
                                    "data": ["title": "title \(index)", "content": content(index)],
                                ] as [String: Any]
                            },
                        ] as [String: Any]
                    ],
                ])
                var request = HTTPClientRequest(url: stack.apiBaseURL + "/api/powersync/upload")
                request.method = .PUT
                request.headers.add(name: "Content-Type", value: "application/json")
                request.headers.add(name: "Authorization", value: "Bearer " + credentials.token)
                request.body = .bytes(ByteBuffer(bytes: body))
                let start = ContinuousClock.now
                let response = try await http.execute(request, timeout: .seconds(120))
                let answer = try await response.body.collect(upTo: 1 << 20)
                uploadSeconds += (ContinuousClock.now - start).seconds
                let outcome = try? JSONSerialization.jsonObject(with: Data(answer.readableBytesView)) as? [String: Any]
                guard response.status == .ok, outcome?["applied"] as? [String] == [prefix],
                    (outcome?["rejected"] as? [Any])?.isEmpty ?? true
                else {
                    throw BenchError("upload refused: \(response.status.code) \(String(buffer: answer).prefix(500))")
                }

                // The same rows (other ids) as one parameterised multi-row INSERT.
                var bindings = PostgresBindings(capacity: ops * 4)
                var tuples: [String] = []
                tuples.reserveCapacity(ops)
                for index in 0..<ops {
                    let base = index * 4
                    tuples.append("($\(base + 1), $\(base + 2), $\(base + 3), $\(base + 4))")
                    bindings.append("d\(prefix)-\(index)")
                    bindings.append(user.id)
                    bindings.append("title \(index)")
                    bindings.append(content(index))
                }
                let insert = PostgresQuery(
                    unsafeSQL: "INSERT INTO bench_docs (id, owner_id, title, content) VALUES "
                        + tuples.joined(separator: ", "), binds: bindings)
                let insertStart = ContinuousClock.now
                try await db.query(insert, logger: logger)
                insertSeconds += (ContinuousClock.now - insertStart).seconds
            }
            let total = Double(ops * options.uploadTransactions)
            uploadRates.append(total / uploadSeconds)
            insertRates.append(total / insertSeconds)
        }
        return [
            BenchFigure(
                "upload_rows_per_s", "upload: client transactions of \(ops) PUTs through /api/powersync/upload",
                uploadRates, unit: "rows/s", baseline: "multi-row INSERT of the same rows",
                baselineValue: BenchFigure.median(insertRates)),
            BenchFigure(
                "baseline_multirow_insert_rows_per_s", "baseline: multi-row INSERT of \(ops) rows", insertRates,
                unit: "rows/s"),
        ]
    }
}
