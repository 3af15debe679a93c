import Foundation
import GRDB
import Testing

@testable import StackClient

/// The WAL is copied into the database file by the background checkpointer, not by the committing writer.
@Suite struct BackgroundCheckpointerTests {
    /// A WAL database in a fresh directory, removed when `body` returns.
    static func withDatabase(_ body: (DatabaseQueue, String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "stack-checkpoint-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("device.db").path
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "CREATE TABLE blobs(id INTEGER PRIMARY KEY, body TEXT)")
        }
        try body(queue, path)
    }

    /// Commits `transactions` transactions of `rows` rows of 4 KB text.
    static func write(_ queue: DatabaseQueue, transactions: Int, rows: Int) throws {
        let body = String(repeating: "x", count: 4000)
        for _ in 0..<transactions {
            try queue.write { db in
                for _ in 0..<rows { try db.execute(sql: "INSERT INTO blobs(body) VALUES (?)", arguments: [body]) }
            }
        }
    }

    static func fileSize(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    @Test func theWALIsCopiedIntoTheDatabaseOnAnotherConnectionPastTheThreshold() throws {
        try Self.withDatabase { queue, path in
            let checkpointer = try queue.inDatabase { db in
                try BackgroundCheckpointer.install(on: db, path: path, threshold: 64)
            }
            try Self.write(queue, transactions: 4, rows: 40)  // 160 rows of 4 KB: past 64 frames
            let deadline = ContinuousClock.now + .seconds(20)
            while checkpointer.checkpointsCompleted == 0, ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.01)
            }
            #expect(checkpointer.checkpointsCompleted >= 1)
            // The rows' pages reached the database file itself.
            #expect(try Self.fileSize(path) > 64 * 4096)
            #expect(try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM blobs") } == 160)
        }
    }

    @Test func theWriterNoLongerCheckpointsItself() throws {
        try Self.withDatabase { queue, path in
            let checkpointer = try queue.inDatabase { db in
                try BackgroundCheckpointer.install(on: db, path: path, threshold: .max)
            }
            let before = try Self.fileSize(path)
            // 1,500 pages: SQLite's own autocheckpoint (1,000 pages) would have copied them into the file.
            try Self.write(queue, transactions: 15, rows: 100)
            #expect(checkpointer.checkpointsCompleted == 0)
            #expect(try Self.fileSize(path) == before)
            #expect(try Self.fileSize(path + "-wal") > 1000 * 4096)
        }
    }

    /// A writer that keeps committing never leaves the background checkpoint a moment with every frame copied, which
    /// SQLite needs to write the WAL from its start again: past `restartFrames` the writer copies the rest itself.
    @Test func aWriterThatKeepsCommittingReusesTheWALPastTheRestartSize() throws {
        try Self.withDatabase { queue, path in
            // No background checkpoint at all: only the writer's own restart can bound the WAL.
            _ = try queue.inDatabase { db in
                try BackgroundCheckpointer.install(on: db, path: path, threshold: .max, restartFrames: 200)
            }
            try Self.write(queue, transactions: 15, rows: 100)  // 1,500 pages of 4 KB
            // At most the restart size plus the transaction that crossed it (a frame is a page and a 24-byte header),
            // where 1,500 frames (6 MB) stay in the WAL without the restart.
            let frame = 4096 + 24
            #expect(try Self.fileSize(path + "-wal") <= 400 * frame)
            #expect(try Self.fileSize(path) > 1000 * 4096)
            #expect(try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM blobs") } == 1500)
        }
    }

    @Test func closingTheConnectionReleasesTheCheckpointer() throws {
        try Self.withDatabase { queue, path in
            weak var released: BackgroundCheckpointer?
            var reopened: DatabaseQueue? = try DatabaseQueue(path: path)
            released = try reopened?.inDatabase { db in try BackgroundCheckpointer.install(on: db, path: path) }
            #expect(released != nil)
            try reopened?.close()
            reopened = nil
            #expect(released == nil)
        }
    }
}
