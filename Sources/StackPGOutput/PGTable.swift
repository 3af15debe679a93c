/// A published table as the latest Relation message described it.
public struct PGTable: Hashable, Sendable {
    /// Table oid.
    public var relationID: UInt32
    /// Schema name.
    public var schema: String
    /// Table name.
    public var name: String
    /// Replica identity setting.
    public var replicaIdentity: PGOutputMessage.ReplicaIdentity
    /// Columns in table order.
    public var columns: [PGOutputMessage.Column]

    /// Names of the replica identity columns (all columns for REPLICA IDENTITY FULL), in table order.
    public var keyColumns: [String] { columns.filter(\.isKey).map(\.name) }

    /// Builds the table from a Relation message.
    public init(_ relation: PGOutputMessage.Relation) {
        self.relationID = relation.id
        self.schema = relation.namespace
        self.name = relation.name
        self.replicaIdentity = relation.replicaIdentity
        self.columns = relation.columns
    }
}

/// One column value of a resolved row.
public enum PGColumnValue: Hashable, Sendable {
    /// SQL NULL.
    case null
    /// The value did not change and Postgres did not send it (TOAST); take it from the stored row.
    case unchangedToast
    /// The value in Postgres text format (map it with `PGValueMapper`).
    case text(String)

    init(_ value: TupleValue) {
        switch value {
        case .null: self = .null
        case .unchangedToast: self = .unchangedToast
        case .text(let text): self = .text(text)
        }
    }
}

/// A row keyed by column name.
public typealias PGRow = [String: PGColumnValue]
