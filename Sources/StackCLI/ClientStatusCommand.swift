import ArgumentParser
import Foundation
import GRDB
import StackClient
import StackCore

extension ClientCommand {
    /// `stack client status [--json]`.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe the device: user, online/offline, pending and rejected uploads, buckets, last sync.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var options: ClientOptions
        @Flag(name: .long, help: "Print JSON for scripts.") var json = false

        func run() async throws {
            _ = global.logger()
            let device = try ClientDevice(name: options.device, config: try global.loadConfig())
            try await ClientRun.perform {
                let status = try device.open().read { db in try ClientStatus.read(db, device: device) }
                if json { Console.json(status) } else { status.print() }
            }
        }
    }
}

/// What `stack client status` reports (the JSON keys are the script interface).
struct ClientStatus: Encodable {
    /// A synced bucket on the device.
    struct Bucket: Encodable {
        var name: String
        var ops: Int
        var checksum: UInt32
        var lastOpID: Int64
        var priority: Int
        var opsDownloaded: Int
        var checksumFailures: Int

        enum CodingKeys: String, CodingKey {
            case name, ops, checksum, priority
            case lastOpID = "last_op_id"
            case opsDownloaded = "ops_downloaded"
            case checksumFailures = "checksum_failures"
        }
    }

    /// A rejected upload as recorded on the device.
    struct Rejection: Encodable {
        var opID: String
        var status: Int
        var code: String
        var message: String
        var crud: String
        var createdAt: String

        enum CodingKeys: String, CodingKey {
            case status, code, message, crud
            case opID = "op_id"
            case createdAt = "created_at"
        }
    }

    /// The buckets that failed checksum validation most recently (they were downloaded again).
    struct ChecksumMismatch: Encodable {
        var buckets: [String]
        var at: String?
    }

    /// The signed-in user.
    struct User: Encodable {
        var id: String
        var email: String?
    }

    var device: String
    var path: String
    var clientID: String
    var signedIn: Bool
    var user: User?
    var online: Bool
    var pendingUploads: Int
    var pendingTransactions: Int
    var rejectedUploads: Int
    var rejections: [Rejection]
    var buckets: [Bucket]
    var lastSyncedAt: String?
    var opsDownloadedTotal: Int
    var lastChecksumMismatch: ChecksumMismatch?

    enum CodingKeys: String, CodingKey {
        case device, path, user, online, rejections, buckets
        case clientID = "client_id"
        case signedIn = "signed_in"
        case pendingUploads = "pending_uploads"
        case pendingTransactions = "pending_transactions"
        case rejectedUploads = "rejected_uploads"
        case lastSyncedAt = "last_synced_at"
        case opsDownloadedTotal = "ops_downloaded_total"
        case lastChecksumMismatch = "last_checksum_mismatch"
    }

    /// Encodes every key, absent values as `null` (scripts can rely on the keys being there).
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(device, forKey: .device)
        try container.encode(path, forKey: .path)
        try container.encode(clientID, forKey: .clientID)
        try container.encode(signedIn, forKey: .signedIn)
        try container.encode(user, forKey: .user)
        try container.encode(online, forKey: .online)
        try container.encode(pendingUploads, forKey: .pendingUploads)
        try container.encode(pendingTransactions, forKey: .pendingTransactions)
        try container.encode(rejectedUploads, forKey: .rejectedUploads)
        try container.encode(rejections, forKey: .rejections)
        try container.encode(buckets, forKey: .buckets)
        try container.encode(lastSyncedAt, forKey: .lastSyncedAt)
        try container.encode(opsDownloadedTotal, forKey: .opsDownloadedTotal)
        try container.encode(lastChecksumMismatch, forKey: .lastChecksumMismatch)
    }

    /// Reads the device's state.
    static func read(_ db: Database, device: ClientDevice) throws -> ClientStatus {
        let account = try DeviceAccount.load(db)
        let buckets = try Row.fetchAll(
            db,
            sql: """
                SELECT b.name, b.last_op, b.priority, (b.add_checksum + b.op_checksum) & 4294967295 AS checksum,
                  (SELECT count(*) FROM ps_oplog o WHERE o.bucket = b.id) AS ops,
                  coalesce(s.ops, 0) AS downloaded, coalesce(s.checksum_failures, 0) AS failures
                FROM ps_buckets b LEFT JOIN ps_download_stats s ON s.bucket = b.name ORDER BY b.name
                """
        ).map { row in
            Bucket(
                name: row["name"], ops: row["ops"], checksum: UInt32(truncatingIfNeeded: row["checksum"] as Int64),
                lastOpID: row["last_op"], priority: row["priority"], opsDownloaded: row["downloaded"],
                checksumFailures: row["failures"])
        }
        let rejections = try Row.fetchAll(
            db, sql: "SELECT op_id, status, code, message, crud, created_at FROM ps_rejected ORDER BY id"
        ).map { row in
            Rejection(
                opID: row["op_id"], status: row["status"], code: row["code"], message: row["message"],
                crud: row["crud"], createdAt: row["created_at"])
        }
        return ClientStatus(
            device: device.name, path: device.path, clientID: try ClientDatabase.kv(db, ClientKV.clientID) ?? "",
            signedIn: account?.sessionToken != nil,
            user: account.map { User(id: $0.userID, email: $0.email) },
            online: try ClientDatabase.kv(db, ClientKV.offline) != "1",
            pendingUploads: try CrudQueue.count(db),
            pendingTransactions: try Int.fetchOne(db, sql: "SELECT count(DISTINCT coalesce(tx_id, -id)) FROM ps_crud")
                ?? 0,
            rejectedUploads: rejections.count, rejections: rejections, buckets: buckets,
            lastSyncedAt: try String.fetchOne(db, sql: "SELECT max(last_synced_at) FROM ps_sync_state"),
            opsDownloadedTotal: try Int.fetchOne(db, sql: "SELECT coalesce(sum(ops), 0) FROM ps_download_stats") ?? 0,
            lastChecksumMismatch: try ClientDatabase.kv(db, ClientKV.lastChecksumMismatch).map { names in
                ChecksumMismatch(
                    buckets: names.split(separator: ",").map(String.init),
                    at: try ClientDatabase.kv(db, ClientKV.lastChecksumMismatchAt))
            })
    }

    /// The human-readable form.
    func print() {
        let who = user.map { ($0.email ?? $0.id) + (signedIn ? "" : " (signed out)") } ?? "nobody signed in"
        Console.out("device        \(device) (\(path))")
        Console.out("user          \(who)")
        Console.out("network       \(online ? "online" : "offline (writes queue locally)")")
        Console.out("pending       \(pendingUploads) upload(s) in \(pendingTransactions) transaction(s)")
        Console.out("rejected      \(rejectedUploads) upload(s)")
        for rejection in rejections {
            Console.out("  \(rejection.opID) \(rejection.code) \(rejection.message) [\(rejection.crud)]")
        }
        Console.out("last synced   \(lastSyncedAt ?? "never")")
        Console.out("downloaded    \(opsDownloadedTotal) op(s) in total")
        if let mismatch = lastChecksumMismatch {
            Console.out(
                "checksums     mismatch in \(mismatch.buckets.joined(separator: ", ")) at \(mismatch.at ?? "?") "
                    + "(downloaded again)")
        }
        Console.out("buckets       \(buckets.count)")
        for bucket in buckets {
            Console.out(
                "  \(bucket.name)  ops \(bucket.ops)  checksum \(bucket.checksum)  last op \(bucket.lastOpID)  "
                    + "downloaded \(bucket.opsDownloaded)")
        }
    }
}
