/// `SELECT <row columns / request values> FROM table WHERE <row = request …>` (PowerSync `SqlParameterQuery`):
/// each source row is indexed under lookup keys; a request computes the keys it needs and reads the index.
struct TableParameterQuery: Sendable {
    /// An output column: read from the indexed row, or computed from the request.
    enum Output: Sendable {
        case row(RowValueClause)
        case request(ParameterValueClause)
    }

    var sql: String
    var queryID: String
    var sourceTable: TableReference
    var bucketParameters: [String]
    var outputs: [Output]
    var filter: ParameterMatchClause
    var priority: Int
    var referencedColumns: [(name: String, position: SQLPosition)]
    var tablePosition: SQLPosition

    /// The single request-side array that expands into several lookups, if any.
    var expandedInput: InputParameter? { filter.inputParameters.first(where: \.expands) }

    var isDangerous: Bool {
        let extractorUsage = outputs.reduce(ParameterUsage()) { usage, output in
            if case .request(let clause) = output { return usage + clause.usage }
            return usage
        }
        let unauthenticated = (filter.usage + extractorUsage).unauthenticated
        return unauthenticated && !extractorUsage.authenticated && !filter.usage.authenticated
    }

    static func compile(
        _ statement: SQLSelectStatement, _ context: inout QueryContext, queryID: String,
        priority: Int?
    ) -> TableParameterQuery? {
        guard statement.from.count == 1,
            case .table(let schema, let name, let rawName, let quoted, let alias) =
                statement.from[0].source
        else {
            let from = statement.from.count > 1 ? statement.from[1] : statement.from[0]
            if case .subquery = from.source {
                context.add(.unsupportedClause, "Subqueries are not supported yet", at: from.position)
            } else {
                context.add(.unsupportedClause, "Must SELECT from a single table", at: from.position)
            }
            return nil
        }
        let position = statement.from[0].position
        if alias != nil && alias != name {
            context.add(.unsupportedClause, "Table aliases not supported in parameter queries", at: position)
        }
        if !quoted, rawName != name {
            context.add(
                .identifierCase,
                "Unquoted identifiers are converted to lower-case. Use \"\(rawName)\" instead.",
                at: position, severity: .warning)
        }
        var compiler = ClauseCompiler(
            valueTable: name, parameterTables: ["token_parameters", "user_parameters"],
            supportsParameterExpressions: true, supportsExpandingParameters: true)
        let filter = compiler.compileWhere(statement.whereClause)
        let (columns, priority) = ParameterQuery.outputColumns(statement, &context, priority: priority)
        var outputs: [Output] = []
        for (_, column) in columns {
            let clause = compiler.compile(column.expression)
            switch clause {
            case .row(let row): outputs.append(.row(row))
            case .parameter, .constant: outputs.append(.request(clause.asParameter!))
            case .match: _ = compiler.compileRowValue(column.expression)
            case .error: break
            }
        }
        if filter.inputParameters.filter(\.expands).count > 1 {
            context.add(.bucketParameters, "Cannot have multiple array input parameters", at: statement.position)
        }
        context.absorb(compiler.problems)
        guard outputs.count == columns.count else { return nil }
        var referenced: [(String, SQLPosition)] = []
        collectColumns(statement, table: name, into: &referenced)
        return TableParameterQuery(
            sql: context.source.sql, queryID: queryID,
            sourceTable: TableReference(schema: schema ?? "public", name: name),
            bucketParameters: columns.map(\.name), outputs: outputs, filter: filter, priority: priority ?? 3,
            referencedColumns: referenced, tablePosition: position)
    }

    /// Index entries for one source row (replication side).
    func indexEntries(definition: String, row: SQLiteRow) throws(SQLEvaluationError) -> [ParameterIndexEntry] {
        let values = row
        let matches = try filter.filterRow(values)
        if matches.isEmpty { return [] }
        var stored = SQLiteRow()
        for (name, output) in zip(bucketParameters, outputs) {
            if case .row(let clause) = output { stored[name] = try clause.evaluate(values) }
        }
        stored = SQLiteRow(stored.columns.filter(\.value.isJSONCompatible))
        return matches.map { match in
            let lookupValues = filter.inputParameters.map { match[$0.key] ?? .null }
            return ParameterIndexEntry(
                lookup: ParameterLookup(
                    definition: definition, queryID: queryID,
                    values: lookupValues), bucketParameters: [stored])
        }
    }

    /// The lookups a request needs (request side); empty when a request value is missing or invalid.
    func lookups(definition: String, request: RequestParameters) throws(SQLEvaluationError) -> [ParameterLookup] {
        let scope = ParameterScope(request: request)
        func scalar(_ input: InputParameter) throws(SQLEvaluationError) -> SQLiteValue? {
            let value = try input.clause.evaluate(scope)
            return value.isJSONCompatible ? value : nil
        }
        guard let expanded = expandedInput else {
            var values: [SQLiteValue] = []
            for input in filter.inputParameters {
                guard let value = try scalar(input) else { return [] }
                values.append(value)
            }
            return [ParameterLookup(definition: definition, queryID: queryID, values: values)]
        }
        guard case .text(let text) = try expanded.clause.evaluate(scope),
            case .array(let elements)? = try? JSONValue.parse(text)
        else { return [] }
        var lookups: [ParameterLookup] = []
        for element in elements {
            var values: [SQLiteValue] = []
            for input in filter.inputParameters {
                if input.key == expanded.key {
                    values.append(element.extractedSQLiteValue(legacyNull: false))
                } else {
                    guard let value = try scalar(input) else { return [] }
                    values.append(value)
                }
            }
            lookups.append(ParameterLookup(definition: definition, queryID: queryID, values: values))
        }
        return lookups
    }

    /// Bucket parameter values for each index row found (row-side columns from the index, the rest from the
    /// request); rows with a non-JSON request value are skipped.
    func bucketParameterValues(rows: [SQLiteRow], request: RequestParameters) throws(SQLEvaluationError)
        -> [[SQLiteValue]]
    {
        let scope = ParameterScope(request: request)
        var results: [[SQLiteValue]] = []
        rowLoop: for row in rows {
            var values: [SQLiteValue] = []
            for (name, output) in zip(bucketParameters, outputs) {
                switch output {
                case .row: values.append(row[name] ?? .null)
                case .request(let clause):
                    let value = try clause.evaluate(scope)
                    guard value.isJSONCompatible else { continue rowLoop }
                    values.append(value)
                }
            }
            results.append(values)
        }
        return results
    }
}
