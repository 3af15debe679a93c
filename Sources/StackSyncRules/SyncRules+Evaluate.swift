/// Replication-side evaluation: which buckets a source row belongs to, and which parameter-index entries it makes.
extension SyncRules {
    /// Evaluates every data query of `schema.table` on `row`, collecting outputs and per-query errors.
    /// `streamID` adds PowerSync's versioned `"<id>#"` bucket prefix.
    public func evaluateRowWithErrors(schema: String = "public", table: String, row: SQLiteRow,
        streamID: String? = nil) -> RowEvaluationResult
    {
        var names = BucketNameMemo()
        return evaluateRowWithErrors(schema: schema, table: table, row: row, streamID: streamID, names: &names)
    }

    /// Like `evaluateRowWithErrors(schema:table:row:streamID:)`, reusing the bucket names `names` remembers from
    /// earlier rows (a replication batch evaluates thousands of rows, most of them into the buckets of the last).
    public func evaluateRowWithErrors(schema: String = "public", table: String, row: SQLiteRow,
        streamID: String? = nil, names: inout BucketNameMemo) -> RowEvaluationResult
    {
        var result = RowEvaluationResult()
        for definition in definitions {
            for (index, query) in definition.dataQueries.enumerated()
            where query.sourceTable.matches(schema: schema, table: table) {
                do {
                    for output in try query.evaluate(table: table, row: row) {
                        let id = output.data["id"]
                        let objectID: String
                        if case .text(let text)? = id { objectID = text } else { objectID = id?.textValue ?? "" }
                        result.rows.append(EvaluatedRow(
                            bucket: names.name(definition: definition.name, parameters: output.parameters,
                                streamID: streamID),
                            definition: definition.name, objectType: query.objectType(for: table),
                            objectID: objectID, data: output.data))
                    }
                } catch {
                    result.errors.append(RowEvaluationError(definition: definition.name, queryIndex: index,
                        message: error.message))
                }
            }
        }
        return result
    }

    /// The bucket outputs of `row` (errors dropped; use `evaluateRowWithErrors` to see them).
    public func evaluateRow(schema: String = "public", table: String, row: SQLiteRow, streamID: String? = nil)
        -> [EvaluatedRow]
    {
        evaluateRowWithErrors(schema: schema, table: table, row: row, streamID: streamID).rows
    }

    /// Convenience for an unordered row (output columns of `*` then come sorted by name).
    public func evaluateRow(schema: String = "public", table: String, row: [String: SQLiteValue],
        streamID: String? = nil) -> [EvaluatedRow]
    {
        evaluateRow(schema: schema, table: table, row: SQLiteRow(row), streamID: streamID)
    }

    /// Parameter-index entries for a row of `schema.table`, plus per-query errors.
    public func evaluateParameterRowWithErrors(schema: String = "public", table: String, row: SQLiteRow)
        -> (entries: [ParameterIndexEntry], errors: [RowEvaluationError])
    {
        var entries: [ParameterIndexEntry] = []
        var errors: [RowEvaluationError] = []
        for definition in definitions {
            for (index, query) in definition.parameterQueries.enumerated() {
                guard case .table(let tableQuery) = query,
                    tableQuery.sourceTable.matches(schema: schema, table: table)
                else { continue }
                do {
                    entries += try tableQuery.indexEntries(definition: definition.name, row: row)
                } catch {
                    errors.append(RowEvaluationError(definition: definition.name, queryIndex: index,
                        message: error.message))
                }
            }
        }
        return (entries, errors)
    }

    /// Parameter-index entries for a row of `schema.table` (errors dropped).
    public func evaluateParameterRow(schema: String = "public", table: String, row: SQLiteRow)
        -> [ParameterIndexEntry]
    {
        evaluateParameterRowWithErrors(schema: schema, table: table, row: row).entries
    }

    /// Convenience for an unordered row.
    public func evaluateParameterRow(schema: String = "public", table: String, row: [String: SQLiteValue])
        -> [ParameterIndexEntry]
    {
        evaluateParameterRow(schema: schema, table: table, row: SQLiteRow(row))
    }
}
