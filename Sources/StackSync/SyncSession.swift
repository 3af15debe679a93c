import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import StackBuckets
import StackCore
import StackProtocol
import StackSyncRules

/// One `/sync/stream` connection: resolves the user's buckets at each checkpoint, sends the checkpoint (or a
/// diff), the changed buckets' ops in chunks, and the completion lines; `token_expires_in` as keepalive.
final class SyncSession: Sendable {
    let service: SyncService
    let user: SyncUser
    let request: StreamingSyncRequest
    let querier: BucketQuerier
    /// The stream whose rules and bucket-name prefix the querier uses (nil: no checkpoint existed yet).
    let rulesStream: Int?
    let events = SessionEvents()
    let logger: Logger

    init(
        service: SyncService, user: SyncUser, request: StreamingSyncRequest, querier: BucketQuerier, rulesStream: Int?,
        logger: Logger
    ) {
        self.service = service
        self.user = user
        self.request = request
        self.querier = querier
        self.rulesStream = rulesStream
        self.logger = logger
    }

    /// Ends the stream after the current step (server shutdown).
    func close() {
        events.finish()
    }

    /// The user's buckets at a checkpoint: request-only ones plus those found in the parameter index.
    func buckets(at checkpoint: StackBuckets.Checkpoint) async throws -> [BucketDescription] {
        var results: [ParameterLookup: [SQLiteRow]] = [:]
        let lookups = querier.lookups
        if !lookups.isEmpty {
            results = try await service.storage.parameterResults(
                stream: checkpoint.streamID, lookups: lookups, at: checkpoint.opID)
        }
        return querier.resolveBuckets(lookupResults: results)
    }

    /// Streams until the token expires, the client goes away, the sync rules change or the server stops.
    func run(writer: inout any ResponseBodyWriter, first: StackBuckets.Checkpoint?) async throws {
        let events = self.events
        let storage = service.storage
        if let first { events.post(first) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await checkpoint in storage.notifier.subscribe() { events.post(checkpoint) }
            }
            group.addTask { [self] in try await tick() }
            defer { group.cancelAll() }
            var output = LineOutput(
                limit: service.limits.writeBufferBytes, counters: service.counters,
                dataForm: OpDataForm(rawData: request.rawData))
            try await stream(into: &output, writer: &writer)
            try await output.flush(to: &writer)
        }
    }

    private func stream(into output: inout LineOutput, writer: inout any ResponseBodyWriter) async throws {
        var state = BucketChecksumState()
        var positions = request.positions.mapValues(\.value)
        while let event = await events.next() {
            let remaining = secondsUntilExpiry()
            if remaining <= 0 {
                output.append(.tokenExpiresIn(0))
                return
            }
            switch event {
            case .tick:
                output.append(.tokenExpiresIn(remaining))
                try await output.flush(to: &writer)
            case .checkpoint(let checkpoint):
                // Another stream serves (rules swapped, or the first checkpoint after startup): its bucket names
                // and rules differ from this session's, and a reconnect picks them up.
                if checkpoint.streamID != rulesStream {
                    logger.info("sync rules changed; ending the stream so the client reconnects")
                    return
                }
                // A slow connection can wake for a checkpoint that is already superseded: computing the newest one
                // instead skips a state nobody else asks the checksum cache for any more.
                let newest = service.storage.notifier.newest(checkpoint)
                try await send(newest, state: &state, positions: &positions, output: &output, writer: &writer)
                try await output.flush(to: &writer)
            }
        }
    }

    private func send(
        _ checkpoint: StackBuckets.Checkpoint, state: inout BucketChecksumState, positions: inout [String: Int64],
        output: inout LineOutput, writer: inout any ResponseBodyWriter
    ) async throws {
        let states: [BucketState]
        if let sent = state.sent, state.opID == checkpoint.opID {
            // Only the LSN moved (a keepalive, a write checkpoint resolving): the same op id means the same
            // parameter rows, buckets and checksums as the last line; only the write checkpoint can differ.
            states = Array(sent.values)
        } else {
            states = try await bucketStates(at: checkpoint)
        }
        let writeCheckpoint = try await service.storage.writeCheckpoint(
            userID: user.userID, clientID: request.clientID, resolvedAt: checkpoint.lsn)
        let plan = state.plan(opID: checkpoint.opID, writeCheckpoint: writeCheckpoint, buckets: states)
        guard let line = plan.line else { return }
        for name in plan.removed { positions[name] = nil }
        output.append(line)
        var groups: [[BucketState]] = []
        for bucket in plan.download {
            if let last = groups.last?.last, last.priority == bucket.priority {
                groups[groups.count - 1].append(bucket)
            } else {
                groups.append([bucket])
            }
        }
        var complete = true
        for (index, group) in groups.enumerated() {
            complete =
                try await download(group, upTo: checkpoint, positions: &positions, output: &output, writer: &writer)
                && complete
            if index < groups.count - 1 && complete {
                output.append(
                    .partialCheckpointComplete(
                        PartialCheckpointComplete(lastOpID: OpID(checkpoint.opID), priority: group[0].priority)))
            }
        }
        // A MOVE/CLEAR aiming past this checkpoint means compaction ran mid-download: the next checkpoint completes.
        if complete {
            output.append(.checkpointComplete(CheckpointComplete(lastOpID: OpID(checkpoint.opID))))
        }
    }

    /// The user's buckets at `checkpoint` with their checksums and counts.
    private func bucketStates(at checkpoint: StackBuckets.Checkpoint) async throws -> [BucketState] {
        let buckets = try await buckets(at: checkpoint)
        let limit = service.limits.maxBucketsPerConnection
        if buckets.count > limit {
            throw SyncServiceError.tooManyBuckets(limit: limit, got: buckets.count)
        }
        let sums = try await service.cache.checksums(
            stream: checkpoint.streamID, buckets: buckets.map(\.name), at: checkpoint.opID)
        return buckets.map { bucket in
            let sum = sums[bucket.name]
            return BucketState(
                name: bucket.name, checksum: sum?.checksum ?? .zero, count: sum?.count ?? 0, priority: bucket.priority)
        }
    }

    /// Sends every op after the client's position up to the checkpoint for the buckets of one priority.
    /// Returns false when an op points past the checkpoint (the checkpoint must not be completed).
    private func download(
        _ buckets: [BucketState], upTo checkpoint: StackBuckets.Checkpoint, positions: inout [String: Int64],
        output: inout LineOutput, writer: inout any ResponseBodyWriter
    ) async throws -> Bool {
        let limits = service.limits
        let storage = service.storage
        let byName = Dictionary(buckets.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var queue = buckets.filter { $0.count > 0 && (positions[$0.name] ?? 0) < checkpoint.opID }
        var complete = true

        // Several small buckets per read, about one read's worth of ops in all (counts are upper bounds).
        func nextBatch(_ positions: [String: Int64]) -> [String: Int64] {
            var batch: [String: Int64] = [:]
            var budget = 0
            while let next = queue.first, batch.isEmpty || budget < limits.opsPerRead {
                batch[next.name] = positions[next.name] ?? 0
                budget += min(Int(next.count), limits.opsPerRead)
                queue.removeFirst()
            }
            return batch
        }

        // The next page is read while the current one is encoded and written (Postgres and Swift overlap).
        try await withThrowingTaskGroup(of: ([String: Int64], [BucketOps]).self) { group in
            func fetch(_ batch: [String: Int64]) {
                guard !batch.isEmpty else { return }
                group.addTask {
                    let pages = try await storage.ops(
                        stream: checkpoint.streamID, positions: batch, upTo: checkpoint.opID,
                        limit: limits.opsPerRead)
                    return (batch, pages)
                }
            }
            fetch(nextBatch(positions))
            while let (batch, pages) = try await group.next() {
                var again: [BucketState] = []
                for page in pages {
                    guard let last = page.ops.last else { continue }
                    positions[page.bucket] = last.opID
                    if page.hasMore, let state = byName[page.bucket] { again.append(state) }
                }
                queue.insert(contentsOf: again, at: 0)
                fetch(nextBatch(positions))
                for page in pages {
                    if !write(page, after: batch[page.bucket] ?? 0, upTo: checkpoint, into: &output) {
                        complete = false
                    }
                    try await output.flushIfFull(to: &writer)
                }
            }
        }
        return complete
    }

    /// Appends a page of one bucket as `data` lines of at most `bytesPerChunk` of row data each. Returns false when
    /// an op points past the checkpoint.
    private func write(
        _ page: BucketOps, after start: Int64, upTo checkpoint: StackBuckets.Checkpoint, into output: inout LineOutput
    ) -> Bool {
        let limit = service.limits.bytesPerChunk
        var complete = true
        var after = start
        var chunk: [OplogEntry] = []
        chunk.reserveCapacity(page.ops.count)
        var bytes = 0
        for op in page.ops {
            if let target = op.targetOp, target > checkpoint.opID { complete = false }
            let size = (op.data?.utf8.count ?? 0) + 96
            if !chunk.isEmpty && (bytes + size > limit || chunk.count >= service.limits.opsPerChunk) {
                let next = chunk.last!.opID
                output.append(
                    .data(
                        SyncDataBatch(
                            bucket: page.bucket, after: OpID(after), nextAfter: next, hasMore: true, data: chunk)))
                after = next.value
                chunk.removeAll(keepingCapacity: true)
                bytes = 0
            }
            chunk.append(Self.entry(op))
            bytes += size
        }
        if let last = chunk.last {
            output.append(
                .data(
                    SyncDataBatch(
                        bucket: page.bucket, after: OpID(after), nextAfter: last.opID, hasMore: page.hasMore,
                        data: chunk)))
        }
        return complete
    }

    static func entry(_ op: BucketOp) -> OplogEntry {
        OplogEntry(
            opID: OpID(op.opID), op: StackProtocol.OpType(rawValue: op.op.rawValue) ?? .put, objectType: op.objectType,
            objectID: op.objectID, data: op.data, checksum: Checksum(op.checksum), subkey: op.subkey)
    }

    private func secondsUntilExpiry() -> Int {
        Int(user.expiresAt.timeIntervalSince(service.now()).rounded(.up))
    }

    /// Posts keepalive ticks: every interval (±10%), once `expiryWarning` before expiry, and at expiry.
    private func tick() async throws {
        let limits = service.limits
        let interval = Double(limits.keepaliveInterval.components.seconds)
        let warning = Double(limits.expiryWarning.components.seconds)
        var nextKeepalive = Double.random(in: 0.9...1.1) * interval
        var warned = false
        let start = service.now()
        while true {
            let elapsed = service.now().timeIntervalSince(start)
            let untilExpiry = user.expiresAt.timeIntervalSince(start)
            var deadline = min(nextKeepalive, untilExpiry)
            if !warned && untilExpiry - warning > elapsed { deadline = min(deadline, untilExpiry - warning) }
            let wait = max(deadline - elapsed, 0)
            try await Task.sleep(for: .milliseconds(Int((wait * 1000).rounded(.up))))
            let now = service.now().timeIntervalSince(start)
            if now >= untilExpiry {
                events.postTick()
                return
            }
            if now >= untilExpiry - warning { warned = true }
            if now >= nextKeepalive { nextKeepalive = now + Double.random(in: 0.9...1.1) * interval }
            events.postTick()
        }
    }
}

/// NDJSON lines collected and written in large buffers (the socket's backpressure applies on each write).
///
/// Within a burst (a download's `flushIfFull`s) the writer and the outgoing buffer are reused: the lines grow them to
/// about a line's size once, where a fresh writer per flush grew by doubling each time (copying what it held) and
/// touched new pages every time (a quarter of the writer's time went to page faults). `flush` ends a burst: the
/// stream is about to wait, so it gives back what a download grew, and an idle stream holds no more than the initial
/// reservation (a thousand idle streams must stay small).
struct LineOutput {
    private var writer: JSONWriter
    private var buffer = ByteBuffer()
    private let limit: Int
    private let counters: SyncCounters
    // PowerSync embeds op data as objects unless the request says `raw_data: true` (client cores always do).
    private let dataForm: OpDataForm

    init(limit: Int, counters: SyncCounters, dataForm: OpDataForm) {
        self.limit = limit
        self.counters = counters
        self.dataForm = dataForm
        writer = JSONWriter(capacity: limit + 4096)
    }

    /// Bytes of capacity held between writes (for tests).
    var heldCapacity: Int { writer.bytes.capacity + buffer.capacity }

    mutating func append(_ line: SyncLine) {
        line.write(to: &writer, dataForm: dataForm)
        writer.newline()
    }

    /// Writes the lines once they fill the buffer, keeping the capacity for the next ones.
    mutating func flushIfFull(to body: inout any ResponseBodyWriter) async throws {
        if writer.bytes.count >= limit { try await write(to: &body) }
    }

    /// Writes what is buffered and gives back capacity grown beyond the initial reservation.
    mutating func flush(to body: inout any ResponseBodyWriter) async throws {
        try await write(to: &body)
        if writer.bytes.capacity > limit + 4096 { writer = JSONWriter(capacity: limit + 4096) }
        buffer = ByteBuffer()
    }

    private mutating func write(to body: inout any ResponseBodyWriter) async throws {
        guard !writer.bytes.isEmpty else { return }
        // Still held by the channel if the last write is not out yet: then `clear` allocates a new buffer.
        buffer.clear()
        buffer.writeBytes(writer.bytes)
        writer.reset()
        try await body.write(buffer)
        counters.bytesSent.add(buffer.readableBytes, ordering: .relaxed)
    }
}
