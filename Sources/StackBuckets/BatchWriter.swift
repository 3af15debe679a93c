import Logging
import PostgresNIO
import StackPostgres

/// Writes the chunks of one batch into its storage transaction, one chunk at a time, in the background: `write`
/// returns once the previous chunk is written and this one has started, so the caller plans the next chunk while
/// Postgres takes this one. Ops keep their planned order (PROTOCOL §7.2: op ids are drawn in statement order).
public struct BatchWriter {
    let connection: PostgresConnection
    let stream: Int
    let s: String
    let logger: Logger
    private var inFlight: Task<Void, Error>?
    /// Ops written so far.
    public private(set) var opCount = 0
    /// True once an op or parameter row drew an id from the sequence in this transaction.
    public private(set) var drewOpIDs = false
    private var wroteChunk = false

    init(connection: PostgresConnection, stream: Int, s: String, logger: Logger) {
        self.connection = connection
        self.stream = stream
        self.s = s
        self.logger = logger
    }

    /// Waits for the chunk being written, then starts writing `writes` (serialised in the background).
    public mutating func write(_ writes: PlannedWrites) async throws {
        try await finish()
        guard !writes.isEmpty else { return }
        let stream = stream
        start(opCount: writes.ops.count, drawsOpIDs: !writes.ops.isEmpty || !writes.parameters.isEmpty) {
            EncodedWrites(writes, stream: stream)
        }
    }

    /// Waits for the chunk being written, then starts writing `encoded` (serialised by the caller ahead of time).
    public mutating func write(_ encoded: EncodedWrites) async throws {
        try await finish()
        guard !encoded.isEmpty else { return }
        assert(encoded.stream == stream, "writes encoded for stream \(encoded.stream), written to \(stream)")
        start(opCount: encoded.opCount, drawsOpIDs: encoded.drawsOpIDs) { encoded }
    }

    private mutating func start(opCount: Int, drawsOpIDs: Bool, _ encode: @escaping @Sendable () -> EncodedWrites) {
        self.opCount += opCount
        drewOpIDs = drewOpIDs || drawsOpIDs
        let (connection, s, logger) = (connection, s, logger)
        let first = !wroteChunk
        wroteChunk = true
        inFlight = Task {
            if first {
                // COPY names its table unqualified: the storage schema comes first for the rest of this transaction.
                try await connection.queryIfOpen("SET LOCAL search_path TO \(unescaped: s)", logger: logger)
            }
            try await Self.write(encode(), s: s, on: connection, logger: logger)
        }
    }

    /// Waits until every chunk handed over is written; throws the first write's error.
    public mutating func finish() async throws {
        guard let task = inFlight else { return }
        inFlight = nil
        try await task.value
    }

    /// Waits for the chunk being written, ignoring its outcome (the transaction is rolled back).
    mutating func abandon() async {
        _ = try? await finish()
    }

    // Ops, parameter rows and row states go in with COPY: the op ids come from the column default as each row is
    // inserted, in the order planned.
    private static func write(_ writes: EncodedWrites, s: String, on connection: PostgresConnection, logger: Logger)
        async throws
    {
        if let ops = writes.ops {
            try await connection.copy(
                ops, into: "bucket_data",
                columns: [
                    "group_id", "bucket_name", "op", "source_table", "source_key", "table_name", "row_id", "checksum",
                    "data",
                ], logger: logger)
        }
        if let parameters = writes.parameters {
            try await connection.copy(
                parameters, into: "bucket_parameters",
                columns: ["group_id", "source_table", "source_key", "lookup", "bucket_parameters"], logger: logger)
        }
        // A changed row that was stored is deleted, and every changed row that still exists is inserted anew: one
        // DELETE for the replaced rows and one COPY, instead of an upsert per row.
        let chunkSize = BucketStorage.chunkSize
        for start in stride(from: 0, to: writes.replaced.count, by: chunkSize) {
            let slice = writes.replaced[start..<min(start + chunkSize, writes.replaced.count)]
            try await connection.queryIfOpen(
                BucketStorage.deleteStoredRowsQuery(schema: s, stream: writes.stream, keys: Array(slice)),
                logger: logger)
        }
        if let saved = writes.saved {
            try await connection.copy(
                saved, into: "current_data",
                columns: ["group_id", "source_table", "source_key", "buckets", "lookups", "data"], logger: logger)
        }
    }
}

/// A chunk's writes serialised as COPY data, ready to send: serialising is CPU work, done where a core is free (a
/// snapshot chunk is serialised while the chunk before it is written).
public struct EncodedWrites: Sendable {
    /// The stream the rows name (`group_id`).
    public let stream: Int
    /// `bucket_data` rows, nil when there are no ops.
    let ops: CopyTextRows?
    /// `bucket_parameters` rows, nil when there are none.
    let parameters: CopyTextRows?
    /// Rows stored before this chunk that it changed: their `current_data` row is deleted.
    let replaced: [SourceRowKey]
    /// `current_data` rows to insert, nil when there are none.
    let saved: CopyTextRows?
    /// Ops in `ops`.
    public let opCount: Int
    /// True when some row draws an op id from the sequence.
    var drawsOpIDs: Bool { ops != nil || parameters != nil }
    /// True when nothing is to be written.
    public var isEmpty: Bool { ops == nil && parameters == nil && replaced.isEmpty && saved == nil }

    /// Serialises `writes` for `stream`.
    public init(_ writes: PlannedWrites, stream: Int) {
        self.stream = stream
        opCount = writes.ops.count
        replaced = writes.replaced
        if writes.ops.isEmpty {
            ops = nil
        } else {
            var rows = CopyTextRows(capacity: writes.ops.count * 256)
            for op in writes.ops {
                rows.append(stream)
                rows.append(op.bucket)
                rows.append(op.op)
                rows.append(op.source.table)
                rows.append(op.source.key)
                rows.append(op.table)
                rows.append(op.rowID)
                rows.append(Int64(op.checksum))
                rows.append(op.data)
                rows.endRow()
            }
            ops = rows
        }
        if writes.parameters.isEmpty {
            parameters = nil
        } else {
            var rows = CopyTextRows(capacity: writes.parameters.count * 128)
            for parameter in writes.parameters {
                rows.append(stream)
                rows.append(parameter.source.table)
                rows.append(parameter.source.key)
                rows.append(parameter.lookup)
                rows.append(parameter.parameters)
                rows.endRow()
            }
            parameters = rows
        }
        if writes.saved.isEmpty {
            saved = nil
        } else {
            var rows = CopyTextRows(capacity: writes.saved.count * 256)
            for (key, row) in writes.saved {
                rows.append(stream)
                rows.append(key.table)
                rows.append(key.key)
                rows.append(row.bucketsText)
                rows.append(row.lookupsText)
                rows.append(row.dataText)
                rows.endRow()
            }
            saved = rows
        }
    }
}
