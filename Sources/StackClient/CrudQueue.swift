import Foundation
import GRDB
import StackCore
import StackProtocol

/// One entry of the upload queue (`ps_crud`).
public struct CrudEntry: Sendable, Equatable {
    /// `ps_crud.id`, increasing.
    public var id: Int64
    /// The SQLite transaction that produced it.
    public var transactionID: Int64
    /// The write.
    public var operation: CrudOperation

    /// Creates an entry.
    public init(id: Int64, transactionID: Int64, operation: CrudOperation) {
        self.id = id
        self.transactionID = transactionID
        self.operation = operation
    }
}

/// All queued entries of one local transaction, uploaded together.
public struct CrudTransaction: Sendable, Equatable {
    /// The shared transaction id.
    public var transactionID: Int64
    /// Entries in queue order.
    public var entries: [CrudEntry]

    /// Creates a transaction.
    public init(transactionID: Int64, entries: [CrudEntry]) {
        self.transactionID = transactionID
        self.entries = entries
    }
    /// The op_id sent to the upload API (the transaction id as text).
    public var uploadOpID: String { String(transactionID) }
    /// The highest `ps_crud.id` of the transaction (what `complete` removes through).
    public var lastEntryID: Int64 { entries.last?.id ?? 0 }
}

/// Reads and completes the upload queue.
public enum CrudQueue {
    private struct StoredEntry: Decodable {
        var op: CrudOpType
        var type: String
        var id: String
        var data: [String: JSONValue]?
    }

    /// Number of queued entries.
    public static func count(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM ps_crud") ?? 0
    }

    /// The oldest transaction in the queue, or nil when it is empty.
    public static func nextTransaction(_ db: Database) throws -> CrudTransaction? {
        guard let first = try Row.fetchOne(db, sql: "SELECT id, tx_id FROM ps_crud ORDER BY id LIMIT 1") else {
            return nil
        }
        let txID: Int64? = first["tx_id"]
        let rows: [Row]
        if let txID {
            rows = try Row.fetchAll(
                db, sql: "SELECT id, tx_id, data FROM ps_crud WHERE tx_id = ? ORDER BY id", arguments: [txID])
        } else {
            rows = try Row.fetchAll(db, sql: "SELECT id, tx_id, data FROM ps_crud WHERE id = ?", arguments: [first["id"]])
        }
        let decoder = JSONDecoder()
        let entries = try rows.map { row in
            let text: String = row["data"]
            let stored = try decoder.decode(StoredEntry.self, from: Data(text.utf8))
            return CrudEntry(
                id: row["id"], transactionID: row["tx_id"] ?? 0,
                operation: CrudOperation(op: stored.op, table: stored.type, id: stored.id, data: stored.data))
        }
        return CrudTransaction(transactionID: txID ?? first["id"], entries: entries)
    }

    /// Removes the transaction's entries (after the server has processed them).
    public static func complete(_ db: Database, _ transaction: CrudTransaction) throws {
        try db.execute(
            sql: "DELETE FROM ps_crud WHERE id <= ? AND (tx_id = ? OR tx_id IS NULL)",
            arguments: [transaction.lastEntryID, transaction.transactionID])
    }

    /// The AUTOINCREMENT high-water mark of `ps_crud` (detects writes racing a write-checkpoint request).
    public static func sequence(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'ps_crud'") ?? 0
    }
}
