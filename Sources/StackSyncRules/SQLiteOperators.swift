/// Binary operators and comparisons with PowerSync's SQLite semantics (`sql_functions.ts` `evaluateOperator`).
enum SQLiteOperators {
    /// SQLite's type order for mixed comparisons: NULL < numbers < text < blob.
    private static func typeRank(_ value: SQLiteValue) -> Int {
        switch value {
        case .null: 0
        case .integer, .real: 1
        case .text: 2
        case .blob: 3
        }
    }

    /// Three-way comparison (-1, 0, 1) across types; blobs compare bytewise.
    static func compare(_ a: SQLiteValue, _ b: SQLiteValue) -> Int {
        switch (a, b) {
        case (.null, .null): return 0
        case (.integer(let x), .integer(let y)): return x == y ? 0 : (x < y ? -1 : 1)
        case (.integer(let x), .real(let y)): return compareMixed(x, y)
        case (.real(let x), .integer(let y)): return -compareMixed(y, x)
        case (.real(let x), .real(let y)): return x == y ? 0 : (x < y ? -1 : 1)
        case (.text(let x), .text(let y)):
            // JavaScript compares strings by UTF-16 code units.
            return x == y ? 0 : (x.utf16.lexicographicallyPrecedes(y.utf16) ? -1 : 1)
        case (.blob(let x), .blob(let y)): return x == y ? 0 : (x.lexicographicallyPrecedes(y) ? -1 : 1)
        default:
            let difference = typeRank(a) - typeRank(b)
            return difference == 0 ? 0 : (difference < 0 ? -1 : 1)
        }
    }

    private static func compareMixed(_ x: Int64, _ y: Double) -> Int {
        if y.isNaN { return 1 }
        let converted = Double(x)
        if converted < y { return -1 }
        if converted > y { return 1 }
        // Equal as doubles: decide exactly when y is within Int64 range.
        guard y >= -9.223372036854775808e18, y < 9.223372036854775808e18 else { return 0 }
        let exact = Int64(y)
        return x == exact ? 0 : (x < exact ? -1 : 1)
    }

    /// `=`, `!=`, `<`, `>`, `<=`, `>=`: NULL when either side is NULL, else 1/0.
    static func comparison(_ op: String, _ a: SQLiteValue, _ b: SQLiteValue) -> SQLiteValue {
        if a.isNull || b.isNull { return .null }
        let difference = compare(a, b)
        switch op {
        case "=": return .bool(difference == 0)
        case "!=": return .bool(difference != 0)
        case "<": return .bool(difference < 0)
        case ">": return .bool(difference > 0)
        case "<=": return .bool(difference <= 0)
        default: return .bool(difference >= 0)
        }
    }

    /// `+ - * /` after NUMERIC conversion; integer division truncates, division by zero is NULL, integer
    /// overflow falls back to real as SQLite does.
    static func arithmetic(_ op: String, _ a: SQLiteValue, _ b: SQLiteValue) -> SQLiteValue {
        if a.isNull || b.isNull { return .null }
        let left = SQLiteCast.numeric(a)
        let right = SQLiteCast.numeric(b)
        if op == "/" {
            switch right {
            case .integer(0): return .null
            case .real(let value) where value == 0: return .null
            default: break
            }
        }
        if case .integer(let x) = left, case .integer(let y) = right {
            let result: (Int64, Bool)
            switch op {
            case "+": result = x.addingReportingOverflow(y)
            case "-": result = x.subtractingReportingOverflow(y)
            case "*": result = x.multipliedReportingOverflow(by: y)
            default: result = x.dividedReportingOverflow(by: y)
            }
            if !result.1 { return .integer(result.0) }
            return .real(realArithmetic(op, Double(x), Double(y)))
        }
        return .real(realArithmetic(op, realValue(left), realValue(right)))
    }

    private static func realValue(_ value: SQLiteValue) -> Double {
        switch value {
        case .integer(let number): Double(number)
        case .real(let number): number
        default: 0
        }
    }

    private static func realArithmetic(_ op: String, _ x: Double, _ y: Double) -> Double {
        switch op {
        case "+": x + y
        case "-": x - y
        case "*": x * y
        default: x / y
        }
    }

    /// `||`: text concatenation, NULL if either side is NULL.
    static func concat(_ a: SQLiteValue, _ b: SQLiteValue) -> SQLiteValue {
        guard let x = a.textValue, let y = b.textValue else { return .null }
        return .text(x + y)
    }

    /// `a IN b` where b is JSON array text: NULL if either is NULL, otherwise 1/0.
    static func inArray(_ a: SQLiteValue, _ b: SQLiteValue) throws(SQLEvaluationError) -> SQLiteValue {
        if a.isNull || b.isNull { return .null }
        let elements = try jsonArrayElements(b, message: "IN is only supported on JSON arrays")
        return .bool(elements.contains { compare($0, a) == 0 })
    }

    /// Elements of a JSON array text as SQLite values (JSON null as SQL NULL).
    static func jsonArrayElements(_ value: SQLiteValue, message: String) throws(SQLEvaluationError) -> [SQLiteValue] {
        guard case .text(let text) = value else { throw SQLEvaluationError(message) }
        guard case .array(let elements) = try JSONFunctions.parse(text) else { throw SQLEvaluationError(text) }
        return elements.map { $0.extractedSQLiteValue(legacyNull: false) }
    }

    /// `NOT` as PowerSync's `sqliteNot`: the negated truth value, so `NOT NULL` is 1 (not SQLite's NULL).
    static func not(_ value: SQLiteValue) -> SQLiteValue {
        .bool(!value.isTruthy)
    }
}

/// A failure while evaluating an expression on a row or on request parameters (PowerSync reports these per row).
public struct SQLEvaluationError: Error, Sendable, Equatable {
    /// What went wrong, e.g. "IN is only supported on JSON arrays".
    public var message: String

    /// Creates an evaluation error.
    public init(_ message: String) {
        self.message = message
    }
}
