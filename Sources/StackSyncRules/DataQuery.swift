/// A compiled legacy data query: `SELECT … FROM table WHERE <filter on row and bucket.*>`.
///
/// A class: it is immutable once compiled, and every replicated row is evaluated against it, where a struct of this
/// many fields cost a retain and a release of each field per row.
final class DataQuery: Sendable {
    /// One output column: all source columns (`*`) or a named expression.
    enum Output: Sendable {
        case star
        case expression(name: String, clause: RowValueClause)
    }

    let sql: String
    let sourceTable: TableReference
    /// The alias, if the query gave one.
    let alias: String?
    let outputs: [Output]
    let filter: ParameterMatchClause
    let bucketParameters: [String]
    /// `bucket.<name>` for each bucket parameter, the keys of a filter match.
    let bucketParameterKeys: [String]
    /// Column names read from the row (for schema validation), with their positions.
    let referencedColumns: [(name: String, position: SQLPosition)]
    let tablePosition: SQLPosition
    /// True when the outputs are named expressions with distinct names (no `*`): each row's output is then built
    /// column by column with no name lookups.
    let distinctExpressions: Bool
    /// The row side of a filter that is one `row value = bucket.<the one parameter>`.
    let equality: RowValueClause?

    init(
        sql: String, sourceTable: TableReference, alias: String?, outputs: [Output], filter: ParameterMatchClause,
        bucketParameters: [String], bucketParameterKeys: [String],
        referencedColumns: [(name: String, position: SQLPosition)], tablePosition: SQLPosition
    ) {
        self.sql = sql
        self.sourceTable = sourceTable
        self.alias = alias
        self.outputs = outputs
        self.filter = filter
        self.bucketParameters = bucketParameters
        self.bucketParameterKeys = bucketParameterKeys
        self.referencedColumns = referencedColumns
        self.tablePosition = tablePosition
        equality = filter.equality.flatMap { bucketParameterKeys == [$0.key] ? $0.row : nil }
        var names: Set<String> = []
        distinctExpressions = outputs.allSatisfy { output in
            if case .expression(let name, _) = output { return names.insert(name).inserted }
            return false
        }
    }

    /// The object type for rows of `table`: alias, else the query's table (or the concrete table for wildcards).
    func objectType(for table: String) -> String {
        if let alias { return alias }
        return sourceTable.isWildcard ? table : sourceTable.name
    }

    /// Compiles a data query; problems go to `context`.
    static func compile(_ context: inout QueryContext, bucketParameters: [String]) -> DataQuery? {
        guard let statement = context.parse() else { return nil }
        context.addUnsupported(statement)
        guard statement.from.count == 1, let from = statement.from.first,
            case .table(let schema, let name, let rawName, let quoted, let alias) = from.source
        else {
            let position = statement.from.count > 1 ? statement.from[1].position : statement.from.first?.position
            if let first = statement.from.first, case .subquery = first.source {
                context.add(.unsupportedClause, "Subqueries are not supported", at: first.position)
            } else {
                context.add(.unsupportedClause, "Must SELECT from a single table", at: position ?? statement.position)
            }
            return nil
        }
        if !quoted, rawName != name {
            context.add(
                .identifierCase,
                "Unquoted identifiers are converted to lower-case. Use \"\(rawName)\" instead.",
                at: from.position, severity: .warning)
        }
        let tableName = alias ?? name
        var compiler = ClauseCompiler(
            valueTable: tableName, parameterTables: ["bucket"],
            supportsParameterExpressions: false, supportsExpandingParameters: false)
        let filter = compiler.compileWhere(statement.whereClause)

        let inputNames = filter.inputParameters.map(\.key)
        let expected = bucketParameters.map { "bucket.\($0)" }
        let all = Set(inputNames + expected)
        if (!filter.hasError && all.count != filter.inputParameters.count) || all.count != bucketParameters.count {
            let expectedJSON = JSONValue.array(expected.map { .string($0) }).jsonText()
            let gotJSON = JSONValue.array(inputNames.map { .string($0) }).jsonText()
            context.add(
                .bucketParameters,
                "Query must cover all bucket parameters. Expected: \(expectedJSON) Got: "
                    + gotJSON, at: statement.position)
        }

        var outputs: [Output] = []
        var hasID = false
        for column in statement.columns {
            OutputNames.checkAliasCase(column, &context)
            guard let outputName = OutputNames.name(of: column) else {
                context.add(.expression, "alias is required", at: column.expression.position)
                continue
            }
            if column.isStar {
                outputs.append(.star)
                // Without a schema PowerSync assumes `*` includes an id.
                hasID = true
                continue
            }
            if outputName == "id" { hasID = true }
            if let clause = compiler.compileRowValue(column.expression) {
                outputs.append(.expression(name: outputName, clause: clause))
            }
        }
        if !hasID {
            context.add(
                .missingID, "Query must return an \"id\" column",
                at: statement.columns.first?.position
                    ?? statement.position)
        }
        context.absorb(compiler.problems)
        var referenced: [(String, SQLPosition)] = []
        collectColumns(statement, table: tableName, into: &referenced)
        return DataQuery(
            sql: context.source.sql, sourceTable: TableReference(schema: schema ?? "public", name: name),
            alias: alias, outputs: outputs, filter: filter, bucketParameters: bucketParameters,
            bucketParameterKeys: expected,
            referencedColumns: referenced, tablePosition: from.position)
    }

    /// Evaluates the query on a row of `table`, returning (serialised parameters, output data) pairs.
    func evaluate(table: String, row: SQLiteRow) throws(SQLEvaluationError) -> [(
        parameters: [SQLiteValue],
        data: SQLiteRow
    )] {
        var values = row
        if sourceTable.isWildcard { values["_table_suffix"] = .text(sourceTable.suffix(of: table)) }
        if let equality {
            // The common `WHERE owner_id = bucket.user_id`: one value, no match dictionary.
            guard let value = try ClauseCompiler.equalityValue(equality, values) else { return [] }
            return [([value], try outputRow(row, values: values))]
        }
        let matches = try filter.filterRow(values)
        if matches.isEmpty { return [] }
        let data = try outputRow(row, values: values)
        return matches.map { match in
            (bucketParameterKeys.map { match[$0] ?? .null }, data)
        }
    }

    /// The selected columns of `row`, blobs dropped.
    private func outputRow(_ row: SQLiteRow, values: SQLiteRow) throws(SQLEvaluationError) -> SQLiteRow {
        // `SELECT *` of a row without '_' columns and blobs is the row itself (the common case, kept cheap).
        if outputs.count == 1, case .star = outputs[0],
            !row.columns.contains(where: { $0.name.hasPrefix("_") || !$0.value.isJSONCompatible })
        {
            return row
        }
        if distinctExpressions {
            var columns: [SQLiteColumn] = []
            columns.reserveCapacity(outputs.count)
            for case .expression(let name, let clause) in outputs {
                let value = try clause.evaluate(values)
                if value.isJSONCompatible { columns.append(SQLiteColumn(name: name, value: value)) }
            }
            return SQLiteRow(uniqueColumns: columns)
        }
        var data = SQLiteRow()
        for output in outputs {
            switch output {
            case .star:
                // `*` skips columns starting with '_' and never overrides an earlier explicit column.
                for column in row.columns where !column.name.hasPrefix("_") && data[column.name] == nil {
                    data[column.name] = column.value
                }
            case .expression(let name, let clause):
                data[name] = try clause.evaluate(values)
            }
        }
        return SQLiteRow(data.columns.filter(\.value.isJSONCompatible))
    }
}

/// Collects `column` / `table.column` references to the row table, for schema validation.
func collectColumns(_ statement: SQLSelectStatement, table: String?, into result: inout [(String, SQLPosition)]) {
    func visit(_ expression: SQLExpression) {
        switch expression.kind {
        case .column(_, let owner, let name, _, _):
            if owner == nil || owner == table { result.append((name, expression.position)) }
        case .call(_, _, let arguments, _): arguments.forEach(visit)
        case .binary(_, let left, let right):
            visit(left)
            visit(right)
        case .unary(_, let operand), .member(_, let operand, _), .cast(let operand, _): visit(operand)
        case .literal, .unsupported: break
        }
    }
    for column in statement.columns where !column.isStar { visit(column.expression) }
    if let whereClause = statement.whereClause { visit(whereClause) }
}
