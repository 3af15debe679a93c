import StackSyncRules

/// One source change as bucket storage consumes it (already mapped to SQLite values).
public enum RowChange: Sendable, Hashable {
    /// A row was inserted or updated (also every snapshot row). `oldKey` is set when an update changed the
    /// identity; `unchanged` lists columns Postgres did not send (unchanged TOAST), filled from the stored copy.
    case put(table: SourceTable, key: String, oldKey: String?, row: SQLiteRow, unchanged: [String])
    /// A row was deleted.
    case delete(table: SourceTable, key: String)
    /// Tables were truncated.
    case truncate([SourceTable])
}

/// An op the planner decided to append (op ids are assigned when the batch is written).
public struct PlannedOp: Hashable, Sendable {
    /// `PUT` or `REMOVE`.
    public var op: String
    /// Bucket name.
    public var bucket: String
    /// The source row.
    public var source: SourceRowKey
    /// `object_type`.
    public var table: String
    /// `object_id`.
    public var rowID: String
    /// Row JSON for PUT, nil for REMOVE.
    public var data: String?
    /// The op checksum.
    public var checksum: UInt32
}

/// A parameter-index row the planner decided to append; `'[]'` is a tombstone.
public struct PlannedParameter: Hashable, Sendable {
    /// The source row.
    public var source: SourceRowKey
    /// Serialized lookup key.
    public var lookup: String
    /// JSON array of the bucket-parameter rows.
    public var parameters: String
}

/// What one chunk of a batch writes: its ops and parameter rows in order, and the `current_data` rows it replaces.
public struct PlannedWrites: Sendable {
    /// Ops in order (their op ids are drawn as they are inserted).
    public var ops: [PlannedOp]
    /// Parameter-index rows in order.
    public var parameters: [PlannedParameter]
    /// Rows stored before this chunk that it changed: their `current_data` row is deleted.
    public var replaced: [SourceRowKey]
    /// Rows that exist after this chunk: their `current_data` row is (re)inserted.
    public var saved: [(key: SourceRowKey, row: StoredRow)]

    /// True when nothing is to be written.
    public var isEmpty: Bool { ops.isEmpty && parameters.isEmpty && replaced.isEmpty && saved.isEmpty }
}
