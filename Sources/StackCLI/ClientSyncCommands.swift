import ArgumentParser
import Foundation
import GRDB
import Logging
import StackClient
import StackCore

extension ClientCommand {
    /// `stack client upload`: drains the upload queue now.
    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send the queued local writes to the upload API now; prints how many were applied/rejected.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var options: ClientOptions

        func run() async throws {
            let logger = global.logger()
            let device = try ClientDevice(name: options.device, config: try global.loadConfig())
            try await ClientRun.perform {
                let database = try device.open()
                try ClientUploads.ensureOnline(database)
                let client = SyncClient(
                    database: database, connector: device.connector, retry: ClientUploads.retry, logger: logger)
                let credentials = try await client.fetchCredentials()
                let before = try ClientUploads.Counts(database)
                let queue = UploadQueue(
                    database: database, connector: device.connector, retry: ClientUploads.retry, logger: logger)
                var checkpointNote: String?
                do {
                    _ = try await queue.drain(
                        credentials: credentials, refresh: { try await client.fetchCredentials() })
                } catch let error as ClientError {
                    // The uploads went through; only the write checkpoint (a sync-service call) failed.
                    guard let url = ClientUploads.syncServiceURL(error) else { throw error }
                    checkpointNote = "note: no write checkpoint requested: the sync service at \(url) is not available"
                }
                let after = try ClientUploads.Counts(database)
                Console.out(ClientUploads.describe(before: before, after: after))
                if let checkpointNote { Console.error(checkpointNote) }
                if after.pendingTransactions > 0 {
                    Console.error(
                        "\(after.pendingTransactions) transaction(s) still queued: the upload API at "
                            + "\(device.apiBaseURL)/api/powersync/upload could not take them; try again later")
                    throw ExitCode(1)
                }
            }
        }
    }

    /// `stack client sync`: upload, download until caught up, exit (or with `--watch`, stay connected).
    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Connect, upload pending writes, download until caught up, then exit.",
            discussion: HelpText.reflow(
                """
                Exits 1 with the reason when the sync service (POST <sync>/sync/stream) is not available.
                --watch stays connected: local writes are uploaded as they appear and every change that lands prints
                one line, `TABLE ID insert|update|delete col=value …` (with --json one JSON object per line);
                connection notes go to stderr. Ctrl-C or SIGTERM ends it (exit 0). Without --watch, --json prints one
                object: uploaded, applied and rejected transactions, the applied checkpoint (null if none), rows
                changed, uploads still pending, whether they blocked the download's apply, and seconds taken.
                """))

        @OptionGroup var global: GlobalOptions
        @OptionGroup var options: ClientOptions
        @Option(name: .long, help: "Give up after this many seconds (not with --watch).") var timeout: Int = 60
        @Flag(name: .long, help: "Stay connected and print each change as it lands.") var watch = false
        @Flag(name: .long, help: "Print JSON for scripts (with --watch: one object per change line).") var json = false

        func run() async throws {
            let logger = global.logger()
            let device = try ClientDevice(name: options.device, config: try global.loadConfig())
            try await ClientRun.perform {
                let database = try device.open()
                try ClientUploads.ensureOnline(database)
                if watch {
                    // The background policy: keep retrying (with backoff) for as long as it runs.
                    let client = SyncClient(database: database, connector: device.connector, logger: logger)
                    return try await ClientWatch.run(client, printer: ChangePrinter(json: json))
                }
                let client = SyncClient(
                    database: database, connector: device.connector, retry: ClientUploads.retry, logger: logger)
                let before = try ClientUploads.Counts(database)
                let report: SyncClient.Report
                let printer = ChangePrinter()
                // A download that takes more than a second shows how far it is (stderr; not with --json).
                let progress = ProgressPrinter(label: "downloading ops", enabled: !json, delay: .seconds(1))
                let start = ContinuousClock.now
                do {
                    defer { progress.finish() }
                    report = try await ClientUploads.withTimeout(seconds: timeout) {
                        try await client.syncOnce { event in
                            switch event {
                            case .checkpoint(_, .checksumMismatch, _): printer.print(event)
                            case .progress(let download):
                                progress.update(done: download.downloaded, total: download.total)
                            default: break
                            }
                        }
                    }
                } catch let error as ClientError {
                    guard let url = ClientUploads.syncServiceURL(error) else { throw error }
                    let after = try ClientUploads.Counts(database)
                    if after != before {
                        // Uploads went through before the download failed: say so (on stderr with --json).
                        let note = ClientUploads.describe(before: before, after: after)
                        if json { Console.error(note) } else { Console.out(note) }
                    }
                    throw StackError(
                        "STACK-K110",
                        "the sync service is not available at \(url) (\(ClientUploads.detail(error))), so nothing was "
                            + "downloaded. Check that `stack up` runs a sync service and that sync.listen is right.")
                }
                let seconds = (ContinuousClock.now - start).seconds
                let after = try ClientUploads.Counts(database)
                if json {
                    Console.json(ClientCommand.summary(before: before, after: after, report: report, seconds: seconds))
                    return
                }
                Console.out(ClientUploads.describe(before: before, after: after))
                if let checkpoint = report.appliedCheckpoint {
                    Console.out(
                        "caught up in \(String(format: "%.2f", seconds)) s: checkpoint \(checkpoint.value) applied, "
                            + "\(report.rowsApplied) row(s) changed")
                } else if report.blockedByUploads {
                    Console.out("downloaded, but not applied: \(after.pendingTransactions) upload(s) still pending")
                }
            }
        }
    }

    /// `stack client sync --json` (one-shot): every key present, `checkpoint` null when none was applied.
    static func summary(
        before: ClientUploads.Counts, after: ClientUploads.Counts, report: SyncClient.Report, seconds: Double
    )
        -> JSONValue
    {
        let (sent, applied, rejected) = ClientUploads.outcome(before: before, after: after)
        return .object([
            "uploaded": .integer(Int64(sent)), "applied": .integer(Int64(applied)),
            "rejected": .integer(Int64(rejected)),
            "checkpoint": report.appliedCheckpoint.map { .integer($0.value) } ?? .null,
            "rows_changed": .integer(Int64(report.rowsApplied)),
            "pending_uploads": .integer(Int64(after.pendingTransactions)),
            "blocked_by_uploads": .bool(report.blockedByUploads), "seconds": .double((seconds * 1000).rounded() / 1000),
        ])
    }

    /// `stack client offline`.
    struct Offline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take the device offline (persisted): writes queue locally, upload and sync refuse.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var options: ClientOptions

        func run() async throws {
            _ = global.logger()
            let device = try ClientDevice(name: options.device, config: try global.loadConfig())
            try await ClientRun.perform {
                try device.open().queue.write { db in try ClientDatabase.setKV(db, ClientKV.offline, "1") }
                Console.out("device \(device.name) is offline")
            }
        }
    }

    /// `stack client online`.
    struct Online: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Bring the device back online.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var options: ClientOptions

        func run() async throws {
            _ = global.logger()
            let device = try ClientDevice(name: options.device, config: try global.loadConfig())
            try await ClientRun.perform {
                try device.open().queue.write { db in try ClientDatabase.setKV(db, ClientKV.offline, nil) }
                Console.out(
                    ShellContext.active
                        ? "device \(device.name) is online; the shell syncs in the background"
                        : "device \(device.name) is online; run `stack client sync` to catch up")
            }
        }
    }

    /// `stack client reset`.
    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete the device file (local data, queued uploads and session are lost).")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var options: ClientOptions

        func run() async throws {
            _ = global.logger()
            let device = try ClientDevice(name: options.device, config: try global.loadConfig())
            try await ClientRun.perform {
                let files = [device.path, device.path + "-wal", device.path + "-shm"]
                let existing = files.filter { FileManager.default.fileExists(atPath: $0) }
                for file in existing { try FileManager.default.removeItem(atPath: file) }
                Console.out(existing.isEmpty ? "device \(device.name) has no file" : "deleted \(device.path)")
            }
        }
    }
}

/// Helpers shared by `upload` and `sync`.
enum ClientUploads {
    // A CLI run should fail in seconds, not after the library's long background backoff.
    static let retry = RetryPolicy(initialDelay: .milliseconds(200), maxDelay: .seconds(2), maxAttempts: 3)

    /// Queue counters before/after a run.
    struct Counts: Equatable {
        var pendingTransactions: Int
        var rejections: Int
        var rejectedTransactions: Int

        init(_ database: ClientDatabase) throws {
            (pendingTransactions, rejections, rejectedTransactions) = try database.read { db in
                (
                    try Int.fetchOne(db, sql: "SELECT count(DISTINCT coalesce(tx_id, -id)) FROM ps_crud") ?? 0,
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM ps_rejected") ?? 0,
                    try Int.fetchOne(db, sql: "SELECT count(DISTINCT op_id) FROM ps_rejected") ?? 0
                )
            }
        }
    }

    /// Transactions sent between two counts, and how many of them were applied and rejected.
    static func outcome(before: Counts, after: Counts) -> (sent: Int, applied: Int, rejected: Int) {
        let sent = max(before.pendingTransactions - after.pendingTransactions, 0)
        let rejected = max(after.rejectedTransactions - before.rejectedTransactions, 0)
        return (sent, max(sent - rejected, 0), rejected)
    }

    /// `uploaded N transaction(s): A applied, R rejected`.
    static func describe(before: Counts, after: Counts) -> String {
        let (sent, applied, rejected) = outcome(before: before, after: after)
        return "uploaded \(sent) transaction(s): \(applied) applied, \(rejected) rejected"
    }

    /// Refuses when the device is offline by choice.
    static func ensureOnline(_ database: ClientDatabase) throws {
        if try database.read({ try ClientDatabase.kv($0, ClientKV.offline) }) == "1" { throw ClientError.offline }
    }

    /// The URL when `error` is a failed call to the sync service (stream or write checkpoint), else nil.
    static func syncServiceURL(_ error: ClientError) -> String? {
        switch error {
        case .network(let url, _), .http(let url, _, _, _), .malformedResponse(let url, _):
            url.contains("/sync/stream") || url.contains("/write-checkpoint2.json") ? url : nil
        default: nil
        }
    }

    /// What the sync service did, without the URL.
    static func detail(_ error: ClientError) -> String {
        switch error {
        case .network(_, let detail): "connection failed: \(detail)"
        case .http(_, let status, let code, let detail):
            "HTTP \(status)" + (code.map { " \($0)" } ?? "") + (detail.map { ": \($0)" } ?? "")
        case .malformedResponse(_, let detail): "unreadable response: \(detail)"
        default: error.message
        }
    }

    /// Runs `body`, cancelling it after `seconds`.
    static func withTimeout<T: Sendable>(seconds: Int, _ body: @escaping @Sendable () async throws -> T) async throws
        -> T
    {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw StackError(
                    "STACK-K111", "sync did not catch up within \(seconds)s; run it again or raise --timeout.")
            }
            return value
        }
    }
}
