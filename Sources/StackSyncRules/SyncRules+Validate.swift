/// Schema validation for `stack sync-rules check`: tables and columns the queries use must exist.
extension SyncRules {
    /// Checks every query against `schema` (table name → column names; keys may be `table` for the public schema
    /// or `schema.table`). Unknown tables and columns are warnings, as in PowerSync; a data query on an existing
    /// table whose output has no `id` column is an error.
    public func validate(against schema: [String: [String]]) -> [SyncRulesIssue] {
        var issues: [SyncRulesIssue] = []
        func columns(of table: TableReference) -> Set<String>? {
            var found: Set<String>?
            for (key, names) in schema {
                let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
                let (schemaName, tableName) = parts.count == 2 ? (parts[0], parts[1]) : ("public", parts[0])
                if table.matches(schema: schemaName, table: tableName) {
                    found = (found ?? []).union(names)
                }
            }
            return found
        }
        for definition in definitions {
            for (index, query) in definition.parameterQueries.enumerated() {
                guard case .table(let tableQuery) = query else { continue }
                let source = definition.source.parameterQueries.indices.contains(index)
                    ? definition.source.parameterQueries[index] : QuerySource(sql: tableQuery.sql)
                var context = QueryContext(definition: definition.name, queryIndex: index, kind: .parameter,
                    source: source)
                check(table: tableQuery.sourceTable, position: tableQuery.tablePosition,
                    referenced: tableQuery.referencedColumns, known: columns(of: tableQuery.sourceTable),
                    context: &context)
                issues += context.issues
            }
            for (index, query) in definition.dataQueries.enumerated() {
                var context = QueryContext(definition: definition.name, queryIndex: index, kind: .data,
                    source: definition.source.dataQueries[index])
                let known = columns(of: query.sourceTable)
                check(table: query.sourceTable, position: query.tablePosition, referenced: query.referencedColumns,
                    known: known, context: &context)
                if let known, !known.contains("id") {
                    let hasStar = query.outputs.contains { if case .star = $0 { true } else { false } }
                    let hasID = query.outputs.contains { if case .expression("id", _) = $0 { true } else { false } }
                    if hasStar && !hasID {
                        context.add(.missingID, "Query must return an \"id\" column: table \(query.sourceTable) "
                            + "has no id column. Select an expression AS id.", at: nil, severity: .warning)
                    }
                }
                issues += context.issues
            }
        }
        return issues
    }

    private func check(table: TableReference, position: SQLPosition,
        referenced: [(name: String, position: SQLPosition)],
        known: Set<String>?, context: inout QueryContext)
    {
        guard let known else {
            context.add(.schema, "Table \(table) not found", at: position, severity: .warning)
            return
        }
        for column in referenced where !known.contains(column.name) && column.name != "_table_suffix" {
            context.add(.schema, "Column not found: \(column.name)", at: column.position, severity: .warning)
        }
    }
}
