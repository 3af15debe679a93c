import StackCore

/// AND / OR composition and the conversion of any clause into a match clause (PowerSync `sql_support.ts`).
extension ClauseCompiler {
    /// Turns any clause into a match clause: row filters yield "always"/"never", a request-side condition
    /// becomes an input parameter that must be true.
    static func toMatch(_ clause: CompiledClause) -> ParameterMatchClause {
        switch clause {
        case .match(let match):
            return match
        case .constant, .row:
            let row = clause.asRow!
            return ParameterMatchClause(inputParameters: [], unbounded: false, usage: ParameterUsage()) {
                values throws(SQLEvaluationError) in
                try row.evaluate(values).isTruthy ? ParameterMatchClause.alwaysTrue : []
            }
        case .parameter(let parameter):
            // Equivalent to `bucket.param = true`: the lookup carries the request condition's truth value.
            let key = parameter.key
            let truth = ParameterValueClause(key: key, usage: parameter.usage) { scope throws(SQLEvaluationError) in
                .bool(try parameter.evaluate(scope).isTruthy)
            }
            return ParameterMatchClause(inputParameters: [InputParameter(key: key, expands: false, clause: truth)],
                unbounded: false, usage: parameter.usage) { _ in [[key: .integer(1)]] }
        case .error:
            return ParameterMatchClause(inputParameters: [], unbounded: false, hasError: true,
                usage: ParameterUsage()) {
                _ throws(SQLEvaluationError) in throw SQLEvaluationError("invalid clause")
            }
        }
    }

    private static func isRowSide(_ clause: CompiledClause) -> Bool {
        switch clause {
        case .constant, .row: true
        default: false
        }
    }

    private static func isParameterSide(_ clause: CompiledClause) -> Bool {
        switch clause {
        case .constant, .parameter: true
        default: false
        }
    }

    /// Composes two same-side clauses with a boolean operator.
    private static func combineSameSide(_ a: CompiledClause, _ b: CompiledClause, name: String,
        _ combine: @escaping @Sendable (Bool, Bool) -> Bool) -> CompiledClause?
    {
        if case .constant(let x) = a, case .constant(let y) = b {
            return .constant(.bool(combine(x.isTruthy, y.isTruthy)))
        }
        if isRowSide(a), isRowSide(b), let left = a.asRow, let right = b.asRow {
            return .row(RowValueClause { row throws(SQLEvaluationError) in
                .bool(combine(try left.evaluate(row).isTruthy, try right.evaluate(row).isTruthy))
            })
        }
        if isParameterSide(a), isParameterSide(b), let left = a.asParameter, let right = b.asParameter {
            return .parameter(ParameterValueClause(key: "\(name)(\(left.key),\(right.key))",
                usage: left.usage + right.usage) { scope throws(SQLEvaluationError) in
                .bool(combine(try left.evaluate(scope).isTruthy, try right.evaluate(scope).isTruthy))
            })
        }
        return nil
    }

    private static func mergedInputs(_ a: [InputParameter], _ b: [InputParameter]) -> [InputParameter] {
        var order: [String] = []
        var byKey: [String: InputParameter] = [:]
        for parameter in a + b {
            if byKey[parameter.key] == nil { order.append(parameter.key) }
            byKey[parameter.key] = parameter
        }
        return order.map { byKey[$0]! }
    }

    /// `a AND b`; a match result is the product of both sides' assignments.
    static func and(_ a: CompiledClause, _ b: CompiledClause) throws(SQLEvaluationError) -> CompiledClause {
        if let combined = combineSameSide(a, b, name: "and", { $0 && $1 }) { return combined }
        let left = toMatch(a)
        let right = toMatch(b)
        if left.unbounded && right.unbounded {
            // Two expanding INs would multiply the number of buckets per row.
            throw SQLEvaluationError("Cannot have multiple IN expressions on bucket parameters")
        }
        return .match(ParameterMatchClause(inputParameters: mergedInputs(left.inputParameters, right.inputParameters),
            unbounded: left.unbounded || right.unbounded, hasError: left.hasError || right.hasError,
            usage: left.usage + right.usage
        ) { values throws(SQLEvaluationError) in
            let leftResults = try left.filterRow(values)
            if leftResults.isEmpty { return [] }
            let rightResults = try right.filterRow(values)
            var results: [[String: SQLiteValue]] = []
            for first in leftResults {
                for second in rightResults {
                    var combined = first
                    var consistent = true
                    for (key, value) in second {
                        if let existing = combined[key], existing != value {
                            consistent = false
                            break
                        }
                        combined[key] = value
                    }
                    if consistent { results.append(combined) }
                }
            }
            return results
        })
    }

    /// `a OR b`; with match clauses both sides must use the same bucket parameters.
    static func or(_ a: CompiledClause, _ b: CompiledClause) throws(SQLEvaluationError) -> CompiledClause {
        if let combined = combineSameSide(a, b, name: "or", { $0 || $1 }) { return combined }
        let left = toMatch(a)
        let right = toMatch(b)
        let merged = mergedInputs(left.inputParameters, right.inputParameters)
        if merged.count != left.inputParameters.count || merged.count != right.inputParameters.count {
            throw SQLEvaluationError("Left and right sides of OR must use the same parameters, or split into "
                + "separate queries. \(describe(left.inputParameters)) != \(describe(right.inputParameters))")
        }
        // Authenticated only if both branches are; unauthenticated if either is.
        let usage = ParameterUsage(authenticated: left.usage.authenticated && right.usage.authenticated,
            unauthenticated: left.usage.unauthenticated || right.usage.unauthenticated)
        return .match(ParameterMatchClause(inputParameters: merged, unbounded: left.unbounded || right.unbounded,
            hasError: left.hasError || right.hasError, usage: usage
        ) { values throws(SQLEvaluationError) in
            try left.filterRow(values) + right.filterRow(values)
        })
    }

    private static func describe(_ parameters: [InputParameter]) -> String {
        "[" + parameters.map { "{\"key\":\(JSONString.quoted($0.key)),\"expands\":\($0.expands)}" }
            .joined(separator: ",") + "]"
    }
}
