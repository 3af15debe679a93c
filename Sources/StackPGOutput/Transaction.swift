/// One committed source transaction with its changes in commit order.
public struct Transaction: Hashable, Sendable {
    /// Transaction id.
    public var xid: UInt32
    /// LSN of the commit record (Begin's final LSN).
    public var commitLSN: LSN
    /// LSN just past the commit record: the position to confirm once the transaction is durably processed.
    public var endLSN: LSN
    /// Commit time, microseconds since 2000-01-01 UTC.
    public var commitTime: Int64
    /// Replication origin name, when the transaction was replayed from elsewhere.
    public var origin: String?
    /// Row changes, truncates and transactional logical messages, in WAL order.
    public var changes: [Change]
}

/// One change inside a transaction.
public enum Change: Hashable, Sendable {
    /// A new row.
    case insert(table: PGTable, new: PGRow)
    /// A changed row; `old` is present when the identity changed or the table is REPLICA IDENTITY FULL.
    case update(table: PGTable, old: PGRow?, new: PGRow)
    /// A removed row; `old` holds the identity columns only (or all columns with REPLICA IDENTITY FULL).
    case delete(table: PGTable, old: PGRow)
    /// Tables emptied by `TRUNCATE`.
    case truncate(tables: [PGTable], cascade: Bool, restartIdentity: Bool)
    /// A transactional logical message.
    case message(PGOutputMessage.LogicalMessage)
}

/// What the assembler emits.
public enum AssembledEvent: Hashable, Sendable {
    /// A complete committed transaction.
    case transaction(Transaction)
    /// A non-transactional logical message (emitted with `transactional => false`), delivered immediately.
    case message(PGOutputMessage.LogicalMessage)
}
