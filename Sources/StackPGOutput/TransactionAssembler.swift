/// Turns decoded pgoutput messages into whole transactions; pure, keeps the relation cache between transactions.
public struct TransactionAssembler: Sendable {
    /// Tables by oid, from the latest Relation message for each.
    public private(set) var tables: [UInt32: PGTable] = [:]
    /// Non-builtin types by oid, from Type messages.
    public private(set) var types: [UInt32: PGOutputMessage.TypeInfo] = [:]
    private var open: Transaction?

    /// Creates an empty assembler.
    public init() {}

    /// True between a Begin and its Commit.
    public var isInTransaction: Bool { open != nil }

    /// Feeds one message; returns a transaction at Commit, a logical message outside transactions, else nil.
    public mutating func feed(_ message: PGOutputMessage) throws -> AssembledEvent? {
        switch message {
        case .begin(let begin):
            guard open == nil else { throw Self.orderError("Begin", "inside transaction \(open!.xid)") }
            open = Transaction(
                xid: begin.xid, commitLSN: begin.finalLSN, endLSN: begin.finalLSN, commitTime: begin.commitTime,
                origin: nil, changes: [])
            return nil
        case .commit(let commit):
            guard var transaction = open else { throw Self.orderError("Commit", "outside a transaction") }
            open = nil
            transaction.commitLSN = commit.commitLSN
            transaction.endLSN = commit.endLSN
            transaction.commitTime = commit.commitTime
            return .transaction(transaction)
        case .origin(let origin):
            guard open != nil else { throw Self.orderError("Origin", "outside a transaction") }
            open!.origin = origin.name
            return nil
        case .relation(let relation):
            tables[relation.id] = PGTable(relation)
            return nil
        case .type(let type):
            types[type.id] = type
            return nil
        case .message(let logical):
            guard logical.transactional else { return .message(logical) }
            try append(.message(logical), "Message")
            return nil
        case .insert(let insert):
            let table = try table(insert.relationID, "Insert")
            try append(.insert(table: table, new: try Self.row(insert.newTuple, table)), "Insert")
            return nil
        case .update(let update):
            let table = try table(update.relationID, "Update")
            let old = try update.oldTuple.map { try Self.row($0, table) }
            var new = try Self.row(update.newTuple, table)
            // With REPLICA IDENTITY FULL the old row is complete, so unchanged TOAST values can be filled from it.
            if case .full? = update.oldTuple, let old {
                for (name, value) in new where value == .unchangedToast {
                    if let previous = old[name], previous != .unchangedToast { new[name] = previous }
                }
            }
            try append(.update(table: table, old: old, new: new), "Update")
            return nil
        case .delete(let delete):
            let table = try table(delete.relationID, "Delete")
            try append(.delete(table: table, old: try Self.row(delete.oldTuple, table)), "Delete")
            return nil
        case .truncate(let truncate):
            let tables = try truncate.relationIDs.map { try table($0, "Truncate") }
            try append(
                .truncate(tables: tables, cascade: truncate.cascade, restartIdentity: truncate.restartIdentity),
                "Truncate")
            return nil
        }
    }

    private mutating func append(_ change: Change, _ kind: String) throws {
        guard open != nil else { throw Self.orderError(kind, "outside a transaction") }
        open!.changes.append(change)
    }

    private func table(_ id: UInt32, _ kind: String) throws -> PGTable {
        guard let table = tables[id] else {
            throw PGOutputError(
                code: "STACK-R010",
                message: "\(kind) refers to relation oid \(id) but no Relation message for it was received in this "
                    + "session. Restart replication so Postgres resends the Relation messages.")
        }
        return table
    }

    // A 'K' tuple sends null for every non-key column; keep only the key columns so nulls are never invented.
    private static func row(_ tuple: PGOutputMessage.OldTuple, _ table: PGTable) throws -> PGRow {
        let row = try row(tuple.values, table)
        guard case .key = tuple else { return row }
        return row.filter { name, _ in table.columns.contains { $0.isKey && $0.name == name } }
    }

    private static func row(_ values: [TupleValue], _ table: PGTable) throws -> PGRow {
        guard values.count == table.columns.count else {
            throw PGOutputError(
                code: "STACK-R011",
                message: "A tuple for \(table.schema).\(table.name) has \(values.count) column(s) but its Relation has "
                    + "\(table.columns.count). The relation cache is stale; restart replication.")
        }
        var row = PGRow(minimumCapacity: values.count)
        for (column, value) in zip(table.columns, values) {
            row[column.name] = PGColumnValue(value)
        }
        return row
    }

    private static func orderError(_ kind: String, _ situation: String) -> PGOutputError {
        PGOutputError(
            code: "STACK-R012",
            message: "Received \(kind) \(situation); pgoutput messages arrived out of order. Restart replication "
                + "from the slot.")
    }
}
