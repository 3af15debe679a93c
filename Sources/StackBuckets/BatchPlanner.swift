import StackSyncRules

/// Turns row changes into ops, parameter-index rows and new `current_data` states; pure (PROTOCOL §7.2).
///
/// The caller loads the stored rows of every key a change touches (`needsLoad`) before applying it.
public struct BatchPlanner: Sendable {
    /// The compiled rules.
    public let rules: SyncRules
    /// The replication stream id, the versioned bucket prefix.
    public let streamID: Int
    /// What the planner knows of one key: one hash lookup finds its state and whether it changed.
    private struct Entry {
        /// Its state (nil: no such row); updated as changes apply.
        var row: StoredRow?
        /// True when it had a stored row when loaded (its `current_data` row is replaced on write, others inserted).
        var stored: Bool
        /// True when its state changed in this batch.
        var changed: Bool
    }
    /// Every loaded or changed key.
    private var entries: [SourceRowKey: Entry] = [:]
    /// The changed keys in the order they first changed: rows are written in that order, so a snapshot chunk (read in
    /// key order) appends to the `current_data` index at its right edge instead of all over it.
    private var changedInOrder: [SourceRowKey] = []
    /// Ops in the order they are appended.
    public private(set) var ops: [PlannedOp] = []
    /// Parameter rows in order.
    public private(set) var parameters: [PlannedParameter] = []
    /// Rule evaluation failures seen (definition, message); logged by the caller.
    public private(set) var errors: [RowEvaluationError] = []
    /// Rows whose unchanged TOAST columns had no stored copy to fill from.
    public private(set) var incompleteRows: [SourceRowKey] = []
    private var bucketNames = BucketNameMemo()

    /// Creates a planner.
    public init(rules: SyncRules, streamID: Int) {
        self.rules = rules
        self.streamID = streamID
    }

    /// The state of `key`: nil when not loaded, `.some(nil)` when there is no such row.
    public func state(of key: SourceRowKey) -> StoredRow?? {
        entries[key].map(\.row)
    }

    /// True when some key's state changed since the planner was made or last gave its writes.
    public var hasChanges: Bool { !changedInOrder.isEmpty }

    /// Makes room for `count` more changed keys (a snapshot chunk plans thousands at once).
    public mutating func reserveCapacity(_ count: Int) {
        entries.reserveCapacity(entries.count + count)
        changedInOrder.reserveCapacity(changedInOrder.count + count)
    }

    /// What the changes applied so far write, for a planner whose batch ends here.
    public func writes() -> PlannedWrites {
        var replaced: [SourceRowKey] = []
        var saved: [(key: SourceRowKey, row: StoredRow)] = []
        saved.reserveCapacity(changedInOrder.count)
        for key in changedInOrder {
            guard let entry = entries[key] else { continue }
            if entry.stored { replaced.append(key) }
            if let row = entry.row { saved.append((key, row)) }
        }
        return PlannedWrites(ops: ops, parameters: parameters, replaced: replaced, saved: saved)
    }

    /// Takes what the changes applied since the last call write, so a long batch is written chunk by chunk in one
    /// transaction: `ops` and `parameters` start empty again, and the rows written count as stored from now on.
    public mutating func takeWrites() -> PlannedWrites {
        let planned = writes()
        for key in changedInOrder {
            guard let index = entries.index(forKey: key) else { continue }
            entries.values[index].changed = false
            entries.values[index].stored = entries.values[index].row != nil
        }
        ops.removeAll(keepingCapacity: true)
        parameters.removeAll(keepingCapacity: true)
        changedInOrder.removeAll(keepingCapacity: true)
        return planned
    }

    /// Rows of `changes` that report unchanged (TOASTed) columns while no copy of the row is at hand to fill them
    /// from: these are read from the source table before the changes are applied. Conservative: a row this batch
    /// wrote without a copy counts as missing, even where applying would have found one.
    public func missingCopies(in changes: [RowChange]) -> Set<SourceRowKey> {
        var missing: Set<SourceRowKey> = []
        var hasCopy: [SourceRowKey: Bool] = [:]
        var truncated: Set<String> = []
        for change in changes {
            switch change {
            case .put(let table, let key, let oldKey, let row, let unchanged):
                let source = SourceRowKey(table: table.description, key: key)
                if let oldKey, oldKey != key { hasCopy[SourceRowKey(table: table.description, key: oldKey)] = false }
                if !unchanged.isEmpty {
                    let known =
                        hasCopy[source]
                        ?? (!truncated.contains(source.table) && entries[source]?.row?.data != nil)
                    if !known { missing.insert(source) }
                }
                hasCopy[source] = unchanged.isEmpty && StoredRow.needsCopy(row)
            case .delete(let table, let key):
                hasCopy[SourceRowKey(table: table.description, key: key)] = false
            case .truncate(let tables):
                truncated.formUnion(tables.map(\.description))
                for key in hasCopy.keys where truncated.contains(key.table) { hasCopy[key] = false }
            }
        }
        return missing
    }

    /// Keys of `change` whose stored state is not loaded yet.
    public func needsLoad(_ change: RowChange) -> [SourceRowKey] {
        switch change {
        case .put(let table, let key, let oldKey, _, _):
            return ([key] + (oldKey.map { [$0] } ?? [])).map { SourceRowKey(table: table.description, key: $0) }
                .filter { entries[$0] == nil }
        case .delete(let table, let key):
            let source = SourceRowKey(table: table.description, key: key)
            return entries[source] == nil ? [source] : []
        case .truncate:
            return []
        }
    }

    /// Records loaded states; keys absent from `found` are recorded as missing. Already known keys are kept.
    public mutating func load(_ keys: [SourceRowKey], found: [SourceRowKey: StoredRow]) {
        for key in keys where entries[key] == nil {
            let row = found[key]
            entries[key] = Entry(row: row, stored: row != nil, changed: false)
        }
    }

    /// Applies one change (its keys must be loaded; for a truncate, every stored row of the tables).
    public mutating func apply(_ change: RowChange) {
        switch change {
        case .put(let table, let key, let oldKey, let row, let unchanged):
            if let oldKey, oldKey != key {
                remove(SourceRowKey(table: table.description, key: oldKey))
            }
            put(table: table, source: SourceRowKey(table: table.description, key: key), row: row, unchanged: unchanged)
        case .delete(let table, let key):
            remove(SourceRowKey(table: table.description, key: key))
        case .truncate(let tables):
            let names = Set(tables.map(\.description))
            for (source, entry) in entries where entry.row != nil && names.contains(source.table) {
                remove(source)
            }
        }
    }

    private mutating func put(table: SourceTable, source: SourceRowKey, row: SQLiteRow, unchanged: [String]) {
        // Found once: nothing below adds or removes entries before the update at the end.
        let index = entries.index(forKey: source)
        let previous = index.flatMap { entries.values[$0].row }
        var complete = row
        if !unchanged.isEmpty {
            if let stored = previous?.data {
                for name in unchanged { complete[name] = stored[name] ?? .null }
            } else {
                incompleteRows.append(source)
                for name in unchanged { complete[name] = nil }
            }
        }
        let evaluation = rules.evaluateRowWithErrors(
            schema: table.schema, table: table.name, row: complete, streamID: streamID.description, names: &bucketNames)
        errors += evaluation.errors
        var memberships: [BucketMembership] = []
        var completeText: String?
        for output in evaluation.rows {
            // `SELECT *` outputs the stored row itself: serialise it once for the op and the row copy.
            let data: String
            if output.data == complete {
                data = completeText ?? complete.jsonText
                completeText = data
            } else {
                data = output.data.jsonText
            }
            let membership = BucketMembership(bucket: output.bucket, table: output.objectType, id: output.objectID)
            if !memberships.contains(membership) { memberships.append(membership) }
            ops.append(
                PlannedOp(
                    op: "PUT", bucket: output.bucket, source: source, table: output.objectType, rowID: output.objectID,
                    data: data,
                    checksum: OpChecksum.put(objectType: output.objectType, objectID: output.objectID, data: data)))
        }
        for old in previous?.buckets ?? [] where !memberships.contains(old) {
            ops.append(removeOp(old, source: source))
        }
        let parameterResult = rules.evaluateParameterRowWithErrors(
            schema: table.schema, table: table.name, row: complete)
        errors += parameterResult.errors
        var lookups: [String] = []
        for entry in parameterResult.entries {
            let lookup = entry.lookup.serializedKey
            let value = JSONValue.array(entry.bucketParameters.map(Self.object)).jsonText()
            if !lookups.contains(lookup) { lookups.append(lookup) }
            parameters.append(PlannedParameter(source: source, lookup: lookup, parameters: value))
        }
        for old in previous?.lookups ?? [] where !lookups.contains(old) {
            parameters.append(PlannedParameter(source: source, lookup: old, parameters: "[]"))
        }
        let copy = StoredRow.needsCopy(complete) ? complete : nil
        update(
            source, at: index, to: StoredRow(buckets: memberships, lookups: lookups, data: copy, dataText: completeText)
        )
    }

    /// Sets the state of `key` and marks it changed; `index` is its entry's, if it has one.
    private mutating func update(_ key: SourceRowKey, at index: [SourceRowKey: Entry].Index?, to row: StoredRow?) {
        if let index {
            entries.values[index].row = row
            if !entries.values[index].changed {
                entries.values[index].changed = true
                changedInOrder.append(key)
            }
        } else {
            entries[key] = Entry(row: row, stored: false, changed: true)
            changedInOrder.append(key)
        }
    }

    private mutating func remove(_ source: SourceRowKey) {
        guard let previous = entries[source]?.row else {
            // Unknown row (never stored, or a replay of a delete already applied): nothing to remove.
            if entries[source] == nil { entries[source] = Entry(row: nil, stored: false, changed: false) }
            return
        }
        for membership in previous.buckets {
            ops.append(removeOp(membership, source: source))
        }
        for lookup in previous.lookups {
            parameters.append(PlannedParameter(source: source, lookup: lookup, parameters: "[]"))
        }
        update(source, at: entries.index(forKey: source), to: nil)
    }

    private static func object(_ row: SQLiteRow) -> JSONValue {
        .object(
            row.columns.compactMap { column in column.value.jsonValue.map { JSONMember(key: column.name, value: $0) } })
    }

    private func removeOp(_ membership: BucketMembership, source: SourceRowKey) -> PlannedOp {
        PlannedOp(
            op: "REMOVE", bucket: membership.bucket, source: source, table: membership.table, rowID: membership.id,
            data: nil, checksum: OpChecksum.remove(subkey: source.subkey))
    }
}
