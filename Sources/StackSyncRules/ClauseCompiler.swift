/// Compiles parsed expressions into row-side, request-side or match clauses (PowerSync's `SqlTools`),
/// collecting errors with positions instead of stopping at the first one.
struct ClauseCompiler {
    /// A problem found while compiling, relative to the query text.
    struct Problem {
        var message: String
        var position: SQLPosition?
        var severity: SyncRulesIssue.Severity
    }

    /// The name the row table is referred to by (alias or table name); nil for static parameter queries.
    var valueTable: String?
    /// Tables whose columns are request-side values (`bucket`, `token_parameters`, a `json_each` alias…).
    var parameterTables: [String]
    /// Whether request-side expressions are allowed (parameter queries) or rejected (data queries).
    var supportsParameterExpressions: Bool
    /// Whether `row.value IN <request array>` may expand into several lookups.
    var supportsExpandingParameters: Bool
    var problems: [Problem] = []

    private mutating func error(_ message: String, _ position: SQLPosition?) -> CompiledClause {
        problems.append(Problem(message: message, position: position, severity: .error))
        return .error
    }

    mutating func warn(_ message: String, _ position: SQLPosition?) {
        problems.append(Problem(message: message, position: position, severity: .warning))
    }

    // MARK: Entry points

    /// The WHERE clause as a match clause (a missing WHERE is always true).
    mutating func compileWhere(_ expression: SQLExpression?) -> ParameterMatchClause {
        guard let expression else { return Self.toMatch(.constant(.integer(1))) }
        return Self.toMatch(compile(expression))
    }

    /// An output column evaluated on the row.
    mutating func compileRowValue(_ expression: SQLExpression) -> RowValueClause? {
        let clause = compile(expression)
        if clause.isError { return nil }
        guard let row = clause.asRow else {
            _ = error("Parameter match expression is not allowed here", expression.position)
            return nil
        }
        return row
    }

    /// An expression evaluated on request parameters only.
    mutating func compileParameterValue(_ expression: SQLExpression?) -> ParameterValueClause? {
        guard let expression else { return CompiledClause.constant(.integer(1)).asParameter }
        let clause = compile(expression)
        if clause.isError { return nil }
        guard let parameter = clause.asParameter else {
            _ = error("Parameter match expression is not allowed here", expression.position)
            return nil
        }
        return parameter
    }

    // MARK: Expressions

    mutating func compile(_ expression: SQLExpression) -> CompiledClause {
        let position = expression.position
        switch expression.kind {
        case .literal(let value):
            return .constant(value)
        case .column(let schema, let table, let name, let rawName, let quoted):
            return compileColumn(schema: schema, table: table, name: name, rawName: rawName, quoted: quoted,
                position: position)
        case .binary(let op, let left, let right):
            return compileBinary(op: op, left: left, right: right, position: position)
        case .unary(let op, let operand):
            let clause = compile(operand)
            switch op {
            case "NOT": return compose("not", [clause], [operand]) { args in SQLiteOperators.not(args[0]) }
            case "IS NULL": return compose("is_null", [clause], [operand]) { args in .bool(args[0].isNull) }
            case "IS NOT NULL": return compose("is_not_null", [clause], [operand]) { args in .bool(!args[0].isNull) }
            case "-":
                return compose("negate", [clause], [operand]) { args in
                    SQLiteOperators.arithmetic("-", .integer(0), args[0])
                }
            case "+": return clause
            default: return error("Operator \(op) is not supported", position)
            }
        case .call(let schema, let name, let arguments, let star):
            return compileCall(schema: schema, name: name, arguments: arguments, star: star, position: position)
        case .member(let op, let operand, let key):
            let clause = compile(operand)
            guard let key else { return error("Unsupported member operation \(op)", position) }
            let jsonOp: JSONFunctions.Operator = op == "->" ? .json : .sql
            return compose("operator\(op)", [clause, .constant(.text(key))], [operand, expression]) {
                args throws(SQLEvaluationError) in
                try JSONFunctions.extract(args[0], path: args[1], as: jsonOp)
            }
        case .cast(let operand, let type):
            let clause = compile(operand)
            guard SQLiteCast.types.contains(type) else { return error("CAST not supported for '\(type)'", position) }
            return compose("operator_cast_\(type)", [clause], [operand]) { args in SQLiteCast.cast(args[0], to: type) }
        case .unsupported(let what):
            switch what {
            case "select": return error("Subqueries are not supported", position)
            case "case": return error("CASE expressions are not supported in sync rules (edition 1)", position)
            case "list": return error("Value lists are not supported; use a JSON array string instead", position)
            case "parameter": return error("Query parameters ($1) are not supported", position)
            default: return error("\(what) not supported here", position)
            }
        }
    }

    private mutating func compileColumn(schema: String?, table: String?, name: String, rawName: String, quoted: Bool,
        position: SQLPosition) -> CompiledClause
    {
        if !quoted, rawName != name {
            warn("Unquoted identifiers are converted to lower-case. Use \"\(rawName)\" instead.", position)
        }
        if schema != nil { return error("Schema is not supported in column references", position) }
        let tableName = table ?? valueTable
        if let tableName, parameterTables.contains(tableName) {
            let key = "\(tableName).\(name)"
            var usage = ParameterUsage()
            if tableName == "token_parameters" { usage.authenticated = true }
            if tableName == "user_parameters" { usage.unauthenticated = true }
            return .parameter(ParameterValueClause(key: key, usage: usage) { scope in
                scope.lookup(table: tableName, column: name)
            })
        }
        if let tableName, tableName == valueTable {
            return .row(RowValueClause { row in row[name] ?? .null })
        }
        let reference = [table, name].compactMap { $0 }.joined(separator: ".")
        return error("Undefined reference: \(reference)", position)
    }

    private mutating func compileBinary(op: String, left: SQLExpression, right: SQLExpression,
        position: SQLPosition) -> CompiledClause
    {
        let leftClause = compile(left)
        let rightClause = compile(right)
        if leftClause.isError || rightClause.isError { return .error }
        switch op {
        case "AND":
            do { return try Self.and(leftClause, rightClause) } catch { return self.error(error.message, position) }
        case "OR":
            do { return try Self.or(leftClause, rightClause) } catch { return self.error(error.message, position) }
        case "=":
            return compileEquals(leftClause, rightClause, left: left, right: right, position: position)
        case "IN":
            return compileIn(leftClause, rightClause, left: left, right: right)
        case "!=", "<", ">", "<=", ">=":
            return compose(op, [leftClause, rightClause], [left, right]) { args in
                SQLiteOperators.comparison(op, args[0], args[1])
            }
        case "IS", "IS NOT":
            return compose(op, [leftClause, rightClause], [left, right]) { args in
                let equal = SQLiteOperators.compare(args[0], args[1]) == 0
                return .bool(op == "IS" ? equal : !equal)
            }
        case "+", "-", "*", "/":
            return compose(op, [leftClause, rightClause], [left, right]) { args in
                SQLiteOperators.arithmetic(op, args[0], args[1])
            }
        case "||":
            return compose(op, [leftClause, rightClause], [left, right]) { args in
                SQLiteOperators.concat(args[0], args[1])
            }
        default:
            return error("Operator not supported: \(op)", position)
        }
    }

    private mutating func compileEquals(_ leftClause: CompiledClause, _ rightClause: CompiledClause,
        left: SQLExpression, right: SQLExpression, position: SQLPosition) -> CompiledClause
    {
        let isParameterLike: (CompiledClause) -> Bool = {
            switch $0 {
            case .parameter, .constant: true
            default: false
            }
        }
        let equals: @Sendable ([SQLiteValue]) -> SQLiteValue = { args in
            SQLiteOperators.comparison("=", args[0], args[1])
        }
        if supportsParameterExpressions, isParameterLike(leftClause), isParameterLike(rightClause) {
            return compose("=", [leftClause, rightClause], [left, right], equals)
        }
        let rowSide: RowValueClause
        let other: CompiledClause
        if let row = leftClause.asRow {
            rowSide = row
            other = rightClause
        } else if let row = rightClause.asRow {
            rowSide = row
            other = leftClause
        } else {
            return error("Cannot have bucket parameters on both sides of = operator", position)
        }
        switch other {
        case .row, .constant:
            return compose("=", [leftClause, rightClause], [left, right], equals)
        case .parameter(let parameter):
            return .match(Self.parameterMatch(row: rowSide, parameter: parameter))
        case .match:
            return error("Parameter match clauses cannot be used here", position)
        case .error:
            return .error
        }
    }

    /// `row.value = <request value>`: one lookup value per row (none for NULL or blobs).
    static func parameterMatch(row: RowValueClause, parameter: ParameterValueClause) -> ParameterMatchClause {
        let key = parameter.key
        var clause = ParameterMatchClause(
            inputParameters: [InputParameter(key: key, expands: false, clause: parameter)], unbounded: false,
            usage: parameter.usage
        ) { values throws(SQLEvaluationError) in
            guard let value = try equalityValue(row, values) else { return [] }
            return [[key: value]]
        }
        clause.equality = (key, row)
        return clause
    }

    /// The lookup value of `row = <request value>` for one row: nil for NULL and blobs, which match nothing.
    static func equalityValue(_ row: RowValueClause, _ values: SQLiteRow) throws(SQLEvaluationError) -> SQLiteValue? {
        let value = try row.evaluate(values)
        // Not a `?:`: SQLiteValue is nil-literal convertible, and there `nil` would become `.some(.null)`.
        if value.isNull || !value.isJSONCompatible { return nil }
        return value
    }

    private mutating func compileIn(_ leftClause: CompiledClause, _ rightClause: CompiledClause,
        left: SQLExpression, right: SQLExpression) -> CompiledClause
    {
        let inFunction: @Sendable ([SQLiteValue]) throws(SQLEvaluationError) -> SQLiteValue = {
            args throws(SQLEvaluationError) in try SQLiteOperators.inArray(args[0], args[1])
        }
        let composeType = composeKind([leftClause, rightClause], [left, right], isIn: true)
        if case .success = composeType {
            return compose("IN", [leftClause, rightClause], [left, right], inFunction)
        }
        if case .parameter(let parameter) = leftClause, let row = rightClause.asRow {
            // <request value> IN row.json_array: one lookup entry per array element.
            let key = parameter.key
            return .match(ParameterMatchClause(
                inputParameters: [InputParameter(key: key, expands: false, clause: parameter)], unbounded: true,
                usage: parameter.usage
            ) { values throws(SQLEvaluationError) in
                let array = try row.evaluate(values)
                if array.isNull { return [] }
                guard case .text(let text) = array, case .array(let elements) = try JSONFunctions.parse(text) else {
                    throw SQLEvaluationError("Not an array")
                }
                return elements.map { [key: $0.extractedSQLiteValue(legacyNull: false)] }
            })
        }
        if supportsExpandingParameters, let row = leftClause.asRow, case .parameter(let parameter) = rightClause {
            // row.value IN <request array>: the request array expands into one lookup per element.
            let key = "\(parameter.key)[*]"
            return .match(ParameterMatchClause(
                inputParameters: [InputParameter(key: key, expands: true, clause: parameter)], unbounded: false,
                usage: parameter.usage
            ) { values throws(SQLEvaluationError) in
                let value = try row.evaluate(values)
                if !value.isJSONCompatible { return [] }
                return [[key: value]]
            })
        }
        if case .failure(let message, let position) = composeType { return error(message, position) }
        return .error
    }

    // MARK: Functions

    private mutating func compileCall(schema: String?, name: String, arguments: [SQLExpression], star: Bool,
        position: SQLPosition) -> CompiledClause
    {
        if star || ["count", "sum", "avg", "min", "max", "group_concat", "total", "array_agg"].contains(name),
            schema == nil
        {
            return error("Aggregate functions are not supported", position)
        }
        guard let schema else {
            guard let function = SQLFunctions.named(name) else {
                return error("Function '\(name)' is not defined", position)
            }
            guard function.arity.contains(arguments.count) else {
                let expected = function.arity.lowerBound == function.arity.upperBound
                    ? "\(function.arity.lowerBound)" : "\(function.arity.lowerBound) to \(function.arity.upperBound)"
                return error("Function '\(name)' takes \(expected) arguments, got \(arguments.count)", position)
            }
            let clauses = arguments.map { compile($0) }
            return compose(name, clauses, arguments, function.call)
        }
        guard schema == "request" else { return error("Function '\(schema).\(name)' is not defined", position) }
        guard supportsParameterExpressions else {
            return error("\(schema) schema is not available in data queries", position)
        }
        let usage: ParameterUsage
        let evaluate: @Sendable (ParameterScope) -> SQLiteValue
        switch name {
        case "user_id":
            usage = ParameterUsage(authenticated: true)
            evaluate = { scope in .text(scope.request.userID) }
        case "jwt":
            usage = ParameterUsage(authenticated: true)
            evaluate = { scope in .text(scope.request.rawTokenPayload) }
        case "parameters":
            usage = ParameterUsage(unauthenticated: true)
            evaluate = { scope in .text(scope.request.rawClientParameters) }
        default:
            return error("Function '\(schema).\(name)' is not defined", position)
        }
        guard arguments.isEmpty else { return error("Function '\(schema).\(name)' takes 0 arguments.", position) }
        return .parameter(ParameterValueClause(key: "request.\(name)()", usage: usage, evaluate: evaluate))
    }

    private enum ComposeKind {
        case success
        case failure(String, SQLPosition)
        case errorClause
    }

    /// PowerSync's `getComposeType`: all arguments must be constants plus either row values or request values.
    private func composeKind(_ clauses: [CompiledClause], _ expressions: [SQLExpression], isIn: Bool = false)
        -> ComposeKind
    {
        var kind = 0  // 0 constant, 1 row, 2 parameter
        for (clause, expression) in zip(clauses, expressions) {
            switch clause {
            case .error: return .errorClause
            case .constant: continue
            case .parameter:
                if !supportsParameterExpressions {
                    let message = isIn ? "Cannot use bucket parameters on the right side of IN operators"
                        : "Cannot use bucket parameters in expressions"
                    return .failure(message, expression.position)
                }
                if kind == 1 {
                    return .failure("Cannot use table values and parameters in the same clauses", expression.position)
                }
                kind = 2
            case .row:
                if kind == 2 {
                    return .failure("Cannot use table values and parameters in the same clauses", expression.position)
                }
                kind = 1
            case .match:
                return .failure("Parameter match clauses cannot be used here", expression.position)
            }
        }
        return .success
    }

    /// Applies `function` to compiled arguments, producing a constant, row or request clause.
    private mutating func compose(_ name: String, _ clauses: [CompiledClause], _ expressions: [SQLExpression],
        _ function: @escaping @Sendable ([SQLiteValue]) throws(SQLEvaluationError) -> SQLiteValue) -> CompiledClause
    {
        switch composeKind(clauses, expressions) {
        case .errorClause: return .error
        case .failure(let message, let position): return error(message, position)
        case .success: break
        }
        if clauses.allSatisfy({ if case .constant = $0 { true } else { false } }) {
            let values = clauses.map { if case .constant(let value) = $0 { value } else { SQLiteValue.null } }
            do {
                return .constant(try function(values))
            } catch {
                return self.error(error.message, expressions.first?.position)
            }
        }
        if clauses.contains(where: { if case .parameter = $0 { true } else { false } }) {
            let parameters = clauses.compactMap(\.asParameter)
            let usage = parameters.reduce(ParameterUsage()) { $0 + $1.usage }
            let key = "\(name)(\(parameters.map(\.key).joined(separator: ",")))"
            return .parameter(ParameterValueClause(key: key, usage: usage) { scope throws(SQLEvaluationError) in
                var values: [SQLiteValue] = []
                for parameter in parameters { values.append(try parameter.evaluate(scope)) }
                return try function(values)
            })
        }
        let rows = clauses.compactMap(\.asRow)
        return .row(RowValueClause { row throws(SQLEvaluationError) in
            var values: [SQLiteValue] = []
            for clause in rows { values.append(try clause.evaluate(row)) }
            return try function(values)
        })
    }
}
