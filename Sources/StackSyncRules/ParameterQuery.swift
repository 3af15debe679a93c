/// A compiled legacy parameter query in one of its three forms.
enum ParameterQuery: Sendable {
    /// `SELECT … FROM table WHERE …`: indexed at replication time, looked up at request time.
    case table(TableParameterQuery)
    /// `SELECT <request expressions> [WHERE <request filter>]`: evaluated on the request only.
    case requestOnly(StaticParameterQuery)
    /// `SELECT … FROM json_each(<request array>) [WHERE …]`.
    case tableValued(TableValuedParameterQuery)

    var bucketParameters: [String] {
        switch self {
        case .table(let query): query.bucketParameters
        case .requestOnly(let query): query.bucketParameters
        case .tableValued(let query): query.bucketParameters
        }
    }

    var sql: String {
        switch self {
        case .table(let query): query.sql
        case .requestOnly(let query): query.sql
        case .tableValued(let query): query.sql
        }
    }

    /// Compiles any parameter query; `definitionPriority` is the `priority:` key, if set.
    static func compile(_ context: inout QueryContext, queryID: String, definitionPriority: Int?,
        acceptDangerous: Bool) -> ParameterQuery?
    {
        guard let statement = context.parse() else { return nil }
        context.addUnsupported(statement)
        let query: ParameterQuery?
        let dangerous: Bool
        if statement.from.isEmpty {
            guard let compiled = StaticParameterQuery.compile(statement, &context, priority: definitionPriority)
            else { return nil }
            query = .requestOnly(compiled)
            dangerous = compiled.isDangerous
        } else if statement.from.count == 1, case .call = statement.from[0].source {
            guard let compiled = TableValuedParameterQuery.compile(statement, &context, priority: definitionPriority)
            else { return nil }
            query = .tableValued(compiled)
            dangerous = compiled.isDangerous
        } else {
            guard let compiled = TableParameterQuery.compile(statement, &context, queryID: queryID,
                priority: definitionPriority)
            else { return nil }
            query = .table(compiled)
            dangerous = compiled.isDangerous
        }
        if dangerous && !acceptDangerous {
            context.add(.dangerousQuery, "Potentially dangerous query based on parameters set by the client. The "
                + "client can send any value for these parameters so it's not a good place to do authorization. "
                + "Set accept_potentially_dangerous_queries: true on the bucket definition if this is intended.",
                at: nil, severity: .warning)
        }
        return query
    }

    /// Splits the SELECT list into bucket parameter columns and the `_priority` column.
    static func outputColumns(_ statement: SQLSelectStatement, _ context: inout QueryContext, priority: Int?)
        -> (columns: [(name: String, column: SQLSelectColumn)], priority: Int?)
    {
        var columns: [(String, SQLSelectColumn)] = []
        var priority = priority
        var prioritySetByDefinition = priority != nil
        for column in statement.columns {
            OutputNames.checkAliasCase(column, &context)
            guard let name = OutputNames.name(of: column) else {
                context.add(.expression, "alias is required", at: column.expression.position)
                continue
            }
            if name == "*" {
                context.add(.expression, "* is not supported here - use explicit columns", at: column.position)
                continue
            }
            if name == "_priority" {
                if prioritySetByDefinition {
                    context.add(.priority, "Cannot set priority multiple times.", at: column.position)
                    continue
                }
                prioritySetByDefinition = true
                priority = OutputNames.priority(of: column, &context)
                continue
            }
            columns.append((name, column))
        }
        return (columns, priority)
    }
}

/// `SELECT <request expressions> [WHERE <request filter>]` (PowerSync `StaticSqlParameterQuery`).
struct StaticParameterQuery: Sendable {
    var sql: String
    var bucketParameters: [String]
    var extractors: [ParameterValueClause]
    var filter: ParameterValueClause?
    var priority: Int

    var isDangerous: Bool {
        let extractorUsage = extractors.reduce(ParameterUsage()) { $0 + $1.usage }
        let usage = extractorUsage + (filter?.usage ?? ParameterUsage())
        return usage.unauthenticated && !extractorUsage.authenticated
    }

    static func compile(_ statement: SQLSelectStatement, _ context: inout QueryContext, priority: Int?)
        -> StaticParameterQuery?
    {
        var compiler = ClauseCompiler(valueTable: nil, parameterTables: ["token_parameters", "user_parameters"],
            supportsParameterExpressions: true, supportsExpandingParameters: false)
        let filter = compiler.compileParameterValue(statement.whereClause)
        let (columns, priority) = ParameterQuery.outputColumns(statement, &context, priority: priority)
        var extractors: [ParameterValueClause] = []
        for (_, column) in columns {
            if let clause = compiler.compileParameterValue(column.expression) { extractors.append(clause) }
        }
        context.absorb(compiler.problems)
        guard extractors.count == columns.count else { return nil }
        return StaticParameterQuery(sql: context.source.sql, bucketParameters: columns.map(\.name),
            extractors: extractors, filter: filter, priority: priority ?? 3)
    }

    /// The bucket parameter values for a request, nil when the filter excludes it.
    func evaluate(_ request: RequestParameters) throws(SQLEvaluationError) -> [SQLiteValue]? {
        let scope = ParameterScope(request: request)
        guard let filter, try filter.evaluate(scope).isTruthy else { return nil }
        var values: [SQLiteValue] = []
        for extractor in extractors {
            let value = try extractor.evaluate(scope)
            if !value.isJSONCompatible { return nil }
            values.append(value)
        }
        return values
    }
}
