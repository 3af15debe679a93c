/// One decoded pgoutput protocol v1 message (the payload of an XLogData frame).
public enum PGOutputMessage: Hashable, Sendable {
    /// Start of a transaction.
    case begin(Begin)
    /// End of a transaction.
    case commit(Commit)
    /// The replication origin of the current transaction.
    case origin(Origin)
    /// Schema of a published table; sent before its first change in a session and after schema changes.
    case relation(Relation)
    /// A non-builtin data type used by a following Relation.
    case type(TypeInfo)
    /// A new row.
    case insert(Insert)
    /// A changed row.
    case update(Update)
    /// A removed row.
    case delete(Delete)
    /// Tables emptied by `TRUNCATE`.
    case truncate(Truncate)
    /// A logical decoding message from `pg_logical_emit_message`.
    case message(LogicalMessage)

    /// Begin ('B'): the transaction's final (commit) LSN, commit time and xid.
    public struct Begin: Hashable, Sendable {
        /// LSN of the transaction's commit record.
        public var finalLSN: LSN
        /// Commit time in microseconds since 2000-01-01 UTC.
        public var commitTime: Int64
        /// Transaction id.
        public var xid: UInt32

        /// Creates the value.
        public init(finalLSN: LSN, commitTime: Int64, xid: UInt32) {
            self.finalLSN = finalLSN
            self.commitTime = commitTime
            self.xid = xid
        }
    }

    /// Commit ('C'): the commit LSN and the end of the commit record (the position to acknowledge).
    public struct Commit: Hashable, Sendable {
        /// Unused flags byte (always 0 in protocol v1).
        public var flags: UInt8
        /// LSN of the commit record.
        public var commitLSN: LSN
        /// LSN just past the commit record.
        public var endLSN: LSN
        /// Commit time in microseconds since 2000-01-01 UTC.
        public var commitTime: Int64

        /// Creates the value.
        public init(flags: UInt8, commitLSN: LSN, endLSN: LSN, commitTime: Int64) {
            self.flags = flags
            self.commitLSN = commitLSN
            self.endLSN = endLSN
            self.commitTime = commitTime
        }
    }

    /// Origin ('O'): where a transaction was originally committed.
    public struct Origin: Hashable, Sendable {
        /// Commit LSN on the origin server.
        public var lsn: LSN
        /// Replication origin name.
        public var name: String

        /// Creates the value.
        public init(lsn: LSN, name: String) {
            self.lsn = lsn
            self.name = name
        }
    }

    /// Relation ('R'): a table's identity and columns.
    public struct Relation: Hashable, Sendable {
        /// Table oid, used by the change messages to refer to it.
        public var id: UInt32
        /// Schema name ("pg_catalog" when Postgres sends an empty namespace).
        public var namespace: String
        /// Table name.
        public var name: String
        /// `relreplident`: `d` default (primary key), `n` nothing, `f` full, `i` index.
        public var replicaIdentity: ReplicaIdentity
        /// Columns in table order, as tuples list them.
        public var columns: [Column]

        /// Creates the value.
        public init(id: UInt32, namespace: String, name: String, replicaIdentity: ReplicaIdentity, columns: [Column]) {
            self.id = id
            self.namespace = namespace
            self.name = name
            self.replicaIdentity = replicaIdentity
            self.columns = columns
        }
    }

    /// One column of a Relation.
    public struct Column: Hashable, Sendable {
        /// True when the column is part of the replica identity (flag bit 1).
        public var isKey: Bool
        /// Column name.
        public var name: String
        /// Data type oid.
        public var typeOID: UInt32
        /// Type modifier (`atttypmod`), -1 when none.
        public var typeModifier: Int32

        /// Creates the value.
        public init(isKey: Bool, name: String, typeOID: UInt32, typeModifier: Int32) {
            self.isKey = isKey
            self.name = name
            self.typeOID = typeOID
            self.typeModifier = typeModifier
        }
    }

    /// A table's replica identity setting (`relreplident`).
    public enum ReplicaIdentity: Hashable, Sendable {
        /// `d`: primary key columns.
        case `default`
        /// `n`: no identity.
        case nothing
        /// `f`: all columns.
        case full
        /// `i`: the columns of a chosen unique index.
        case index
        /// Any other byte (kept so decoding never fails on a future value).
        case other(UInt8)

        init(byte: UInt8) {
            switch byte {
            case UInt8(ascii: "d"): self = .default
            case UInt8(ascii: "n"): self = .nothing
            case UInt8(ascii: "f"): self = .full
            case UInt8(ascii: "i"): self = .index
            default: self = .other(byte)
            }
        }
    }

    /// Type ('Y'): a data type's oid and name.
    public struct TypeInfo: Hashable, Sendable {
        /// Type oid.
        public var id: UInt32
        /// Schema name ("pg_catalog" when Postgres sends an empty namespace).
        public var namespace: String
        /// Type name.
        public var name: String

        /// Creates the value.
        public init(id: UInt32, namespace: String, name: String) {
            self.id = id
            self.namespace = namespace
            self.name = name
        }
    }

    /// Insert ('I').
    public struct Insert: Hashable, Sendable {
        /// Oid of the Relation.
        public var relationID: UInt32
        /// The new row.
        public var newTuple: [TupleValue]

        /// Creates the value.
        public init(relationID: UInt32, newTuple: [TupleValue]) {
            self.relationID = relationID
            self.newTuple = newTuple
        }
    }

    /// Update ('U'): the old key ('K') or full old row ('O') when Postgres sends one, then the new row.
    public struct Update: Hashable, Sendable {
        /// Oid of the Relation.
        public var relationID: UInt32
        /// The old tuple, when the identity changed (`K`) or the identity is FULL (`O`).
        public var oldTuple: OldTuple?
        /// The new row; unchanged TOASTed columns are `.unchangedToast`.
        public var newTuple: [TupleValue]

        /// Creates the value.
        public init(relationID: UInt32, oldTuple: OldTuple?, newTuple: [TupleValue]) {
            self.relationID = relationID
            self.oldTuple = oldTuple
            self.newTuple = newTuple
        }
    }

    /// Delete ('D'): only the key columns ('K', others null) or the full old row ('O').
    public struct Delete: Hashable, Sendable {
        /// Oid of the Relation.
        public var relationID: UInt32
        /// The removed row's identity.
        public var oldTuple: OldTuple

        /// Creates the value.
        public init(relationID: UInt32, oldTuple: OldTuple) {
            self.relationID = relationID
            self.oldTuple = oldTuple
        }
    }

    /// An old tuple of an Update or Delete.
    public enum OldTuple: Hashable, Sendable {
        /// 'K': replica identity columns only (other columns are null).
        case key([TupleValue])
        /// 'O': the whole old row (REPLICA IDENTITY FULL).
        case full([TupleValue])

        /// The tuple's values, whichever kind it is.
        public var values: [TupleValue] {
            switch self {
            case .key(let values), .full(let values): values
            }
        }
    }

    /// Truncate ('T').
    public struct Truncate: Hashable, Sendable {
        /// True for `TRUNCATE … CASCADE` (option bit 1).
        public var cascade: Bool
        /// True for `TRUNCATE … RESTART IDENTITY` (option bit 2).
        public var restartIdentity: Bool
        /// Oids of the truncated Relations.
        public var relationIDs: [UInt32]

        /// Creates the value.
        public init(cascade: Bool, restartIdentity: Bool, relationIDs: [UInt32]) {
            self.cascade = cascade
            self.restartIdentity = restartIdentity
            self.relationIDs = relationIDs
        }
    }

    /// Message ('M').
    public struct LogicalMessage: Hashable, Sendable {
        /// True when emitted with `transactional => true` (delivered inside its transaction).
        public var transactional: Bool
        /// LSN of the message.
        public var lsn: LSN
        /// The prefix (e.g. `powersync`).
        public var prefix: String
        /// The raw content.
        public var content: [UInt8]

        /// Creates the value.
        public init(transactional: Bool, lsn: LSN, prefix: String, content: [UInt8]) {
            self.transactional = transactional
            self.lsn = lsn
            self.prefix = prefix
            self.content = content
        }

        /// The content as UTF-8 text (invalid sequences replaced).
        public var contentText: String { String(decoding: content, as: UTF8.self) }
    }
}

/// One column value of a pgoutput tuple (text format).
public enum TupleValue: Hashable, Sendable {
    /// 'n': SQL NULL.
    case null
    /// 'u': an unchanged TOASTed value that Postgres did not send.
    case unchangedToast
    /// 't': the value in Postgres text format.
    case text(String)
}
