/// `SELECT value AS x FROM json_each(<request array>) [WHERE …]` (PowerSync
/// `TableValuedFunctionSqlParameterQuery`).
struct TableValuedParameterQuery: Sendable {
    var sql: String
    var bucketParameters: [String]
    var extractors: [ParameterValueClause]
    var filter: ParameterValueClause?
    var callClause: ParameterValueClause
    var callTable: String
    var priority: Int

    var isDangerous: Bool {
        let authenticatedUsage = extractors.reduce(callClause.usage) { $0 + $1.usage }
        let usage = authenticatedUsage + (filter?.usage ?? ParameterUsage())
        return usage.unauthenticated && !authenticatedUsage.authenticated
    }

    static func compile(_ statement: SQLSelectStatement, _ context: inout QueryContext, priority: Int?)
        -> TableValuedParameterQuery?
    {
        guard case .call(let name, let arguments, let alias) = statement.from[0].source else { return nil }
        guard name == "json_each" else {
            context.add(.expression, "Table-valued function \(name) is not defined.", at: statement.from[0].position)
            return nil
        }
        guard arguments.count == 1 else {
            context.add(.expression, "json_each expects 1 argument, got \(arguments.count)",
                at: statement.from[0].position)
            return nil
        }
        let callTable = alias ?? name
        var compiler = ClauseCompiler(valueTable: callTable,
            parameterTables: ["token_parameters", "user_parameters", callTable],
            supportsParameterExpressions: true, supportsExpandingParameters: false)
        let filter = compiler.compileParameterValue(statement.whereClause)
        let callClause = compiler.compileParameterValue(arguments[0])
        let (columns, priority) = ParameterQuery.outputColumns(statement, &context, priority: priority)
        var extractors: [ParameterValueClause] = []
        for (_, column) in columns {
            if let clause = compiler.compileParameterValue(column.expression) { extractors.append(clause) }
        }
        context.absorb(compiler.problems)
        guard let callClause, extractors.count == columns.count else { return nil }
        return TableValuedParameterQuery(sql: context.source.sql, bucketParameters: columns.map(\.name),
            extractors: extractors, filter: filter, callClause: callClause, callTable: callTable,
            priority: priority ?? 3)
    }

    /// Bucket parameter values, one list per `json_each` row that passes the filter.
    func evaluate(_ request: RequestParameters) throws(SQLEvaluationError) -> [[SQLiteValue]] {
        guard let filter else { return [] }
        let argument = try callClause.evaluate(ParameterScope(request: request))
        var results: [[SQLiteValue]] = []
        for element in try JSONFunctions.each(argument) {
            let scope = ParameterScope(request: request, callTable: callTable,
                callRow: ["key": element.key, "value": element.value])
            guard try filter.evaluate(scope).isTruthy else { continue }
            var values: [SQLiteValue] = []
            for extractor in extractors {
                let value = try extractor.evaluate(scope)
                guard value.isJSONCompatible else { throw SQLEvaluationError("Invalid parameter value: \(value)") }
                values.append(value)
            }
            results.append(values)
        }
        return results
    }
}
