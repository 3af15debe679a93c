import StackConfig
import StackCore

/// One write, ready for SQL: table and column names come from the catalog only.
struct UploadStep: Sendable {
    enum Kind: Sendable {
        /// Consecutive PUTs of one table with the same columns: one multi-row upsert.
        case put
        case patch
        case delete
    }

    let kind: Kind
    let table: TableSchema
    /// Columns written (never `id` or `owner_id`), in schema order.
    let columns: [ColumnSchema]
    /// Rows: op index, row id, one value per column.
    var rows: [(opIndex: Int, id: String, values: [ColumnValue])]

    /// The same writes, one step per row (to find the op a multi-row statement failed on).
    var singleRows: [UploadStep] {
        rows.map { UploadStep(kind: kind, table: table, columns: columns, rows: [$0]) }
    }
}

/// Turns ops into steps, refusing unknown tables, columns, op kinds and unconvertible values.
struct UploadPlanner {
    let catalog: UploadCatalog

    // Bounds one multi-row upsert (rows × columns), so a huge transaction is written in several statements.
    static let maximumBindsPerStatement = 30_000

    func plan(_ ops: [UploadRequest.Operation]) throws(UploadRejection) -> [UploadStep] {
        var steps: [UploadStep] = []
        // Ids in the last step: one upsert cannot write the same row twice.
        var stepIDs = Set<String>()
        for (index, op) in ops.enumerated() {
            let table = try catalog.table(op.table, opIndex: index)
            guard !op.id.isEmpty else {
                throw UploadRejection(
                    opIndex: index, code: "MISSING_ID", message: "The op has no id (missing, null or empty).")
            }
            let kind: UploadStep.Kind
            switch op.kind {
            case "PUT": kind = .put
            case "PATCH": kind = .patch
            case "DELETE": kind = .delete
            default:
                throw UploadRejection(
                    opIndex: index, code: "INVALID_OP",
                    message: "Op '\(UploadCatalog.printable(op.kind))' is not PUT, PATCH or DELETE.")
            }
            let (columns, values) = kind == .delete ? ([], []) : try convert(op.data, table: table, opIndex: index)
            let row = (opIndex: index, id: op.id, values: values)
            // Mutated in place: copying the growing step per op made planning quadratic in the batch size.
            if kind == .put, let last = steps.indices.last, steps[last].kind == .put,
                steps[last].table.name == table.schema.name,
                steps[last].columns.elementsEqual(columns, by: { $0.name == $1.name }), !stepIDs.contains(op.id),
                (steps[last].rows.count + 1) * (columns.count + 2) <= Self.maximumBindsPerStatement
            {
                steps[last].rows.append(row)
                stepIDs.insert(op.id)
            } else {
                steps.append(UploadStep(kind: kind, table: table.schema, columns: columns, rows: [row]))
                stepIDs = [op.id]
            }
        }
        return steps
    }

    /// The columns and converted values of `data`; `id` and `owner_id` are ignored (the owner is the caller).
    func convert(_ data: [String: UploadValue], table: UploadCatalog.Table, opIndex: Int) throws(UploadRejection)
        -> ([ColumnSchema], [ColumnValue])
    {
        var byColumn: [String: (exact: Bool, value: ColumnValue)] = [:]
        for (key, value) in data {
            guard let column = table.column(forKey: key) else {
                throw UploadRejection(
                    opIndex: opIndex, code: "UNKNOWN_COLUMN",
                    message: "Column '\(UploadCatalog.printable(key))' is not in table '\(table.schema.name)'.")
            }
            if column.name == "id" || column.name == "owner_id" { continue }
            guard let converted = ValueConverter.convert(value, to: column.type) else {
                throw UploadRejection(
                    opIndex: opIndex, code: "INVALID_VALUE",
                    message: "Column '\(column.name)' of table '\(table.schema.name)' is \(column.type.rawValue) "
                        + "and cannot take a \(ValueConverter.typeName(value)) value\(ValueConverter.why(value, type: column.type))."
                )
            }
            // snake_case beats camelCase when a client sends both.
            let exact = key == column.name
            if let existing = byColumn[column.name], existing.exact, !exact { continue }
            byColumn[column.name] = (exact, converted)
        }
        let columns = table.schema.columns.filter { byColumn[$0.name] != nil }
        return (columns, columns.map { byColumn[$0.name]!.value })
    }
}
