import Foundation

/// The scalar functions available in sync-rules expressions (`sql_functions.ts`), with JavaScript string
/// semantics (lengths and offsets in UTF-16 code units) as PowerSync has.
enum SQLFunctions {
    /// A callable scalar function.
    struct Function: Sendable {
        /// Accepted argument counts.
        let arity: ClosedRange<Int>
        /// The implementation.
        let call: @Sendable ([SQLiteValue]) throws(SQLEvaluationError) -> SQLiteValue
    }

    /// Looks up a function by (lower-cased) name.
    static func named(_ name: String) -> Function? {
        table[name]
    }

    /// Names of every function, for error messages.
    static var names: [String] { table.keys.sorted() }

    private static let table: [String: Function] = [
        "upper": Function(arity: 1...1) { args in args[0].textValue.map { .text($0.uppercased()) } ?? .null },
        "lower": Function(arity: 1...1) { args in args[0].textValue.map { .text($0.lowercased()) } ?? .null },
        "substring": Function(arity: 2...3) { args in substring(args) },
        "hex": Function(arity: 1...1) { args in
            guard case .blob(let bytes) = SQLiteCast.blob(args[0]) else { return .text("") }
            return .text(bytes.map(hexByte).joined())
        },
        "length": Function(arity: 1...1) { args in
            switch args[0] {
            case .null: return .null
            case .blob(let bytes): return .integer(Int64(bytes.count))
            default: return .integer(Int64(args[0].textValue?.utf16.count ?? 0))
            }
        },
        "base64": Function(arity: 1...1) { args in
            guard case .blob(let bytes) = SQLiteCast.blob(args[0]) else { return .text("") }
            return .text(Data(bytes).base64EncodedString())
        },
        "uuid_blob": Function(arity: 1...1) { args throws(SQLEvaluationError) in try uuidBlob(args[0]) },
        "typeof": Function(arity: 1...1) { args in .text(args[0].typeName) },
        "ifnull": Function(arity: 2...2) { args in args[0].isNull ? args[1] : args[0] },
        "iif": Function(arity: 3...3) { args in args[0].isTruthy ? args[1] : args[2] },
        "instr": Function(arity: 2...2) { args in instr(args[0], args[1]) },
        "json_extract": Function(arity: 2...2) { args throws(SQLEvaluationError) in
            try JSONFunctions.extract(args[0], path: args[1], as: .function)
        },
        "json_array_length": Function(arity: 1...2) { args throws(SQLEvaluationError) in
            try JSONFunctions.arrayLength(args[0], path: args.count > 1 ? args[1] : nil)
        },
        "json_valid": Function(arity: 1...1) { args in JSONFunctions.isValid(args[0]) },
        "json_keys": Function(arity: 1...1) { args throws(SQLEvaluationError) in try JSONFunctions.keys(args[0]) },
        "unixepoch": Function(arity: 1...3) { args in DateFunctions.unixepoch(args) },
        "datetime": Function(arity: 1...3) { args in DateFunctions.datetime(args) },
    ]

    /// SQLite `substring(x, start [, length])` with its 1-based and negative-index rules.
    private static func substring(_ args: [SQLiteValue]) -> SQLiteValue {
        guard let text = args[0].textValue else { return .null }
        guard case .integer(let start) = SQLiteCast.cast(args[1], to: "integer") else { return .null }
        let units = Array(text.utf16)
        var length: Int
        if args.count > 2 {
            guard case .integer(let given) = SQLiteCast.cast(args[2], to: "integer") else { return .null }
            length = Int(clamping: given)
        } else {
            length = units.count + 1
        }
        var realStart: Int
        if start < 0 {
            realStart = max(0, units.count + Int(clamping: start))
        } else if start == 0 {
            realStart = 0
            length -= 1
        } else {
            realStart = Int(clamping: start) - 1
        }
        var from = realStart
        var to = realStart &+ length
        if length < 0 {
            from = realStart + length
            to = realStart
        }
        // JavaScript substring clamps both ends into [0, count] and swaps them if reversed.
        from = min(max(from, 0), units.count)
        to = min(max(to, 0), units.count)
        if from > to { swap(&from, &to) }
        return .text(String(decoding: units[from..<to], as: UTF16.self))
    }

    private static func instr(_ x: SQLiteValue, _ y: SQLiteValue) -> SQLiteValue {
        if x.isNull || y.isNull { return .null }
        if case .blob(let haystack) = x, case .blob(let needle) = y {
            return .integer(Int64(firstIndex(of: needle, in: haystack).map { $0 + 1 } ?? 0))
        }
        let haystack = Array((x.textValue ?? "").utf16)
        let needle = Array((y.textValue ?? "").utf16)
        return .integer(Int64(firstIndex(of: needle, in: haystack).map { $0 + 1 } ?? 0))
    }

    private static func firstIndex<T: Equatable>(of needle: [T], in haystack: [T]) -> Int? {
        if needle.isEmpty { return 0 }
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where Array(haystack[start..<start + needle.count]) == needle {
            return start
        }
        return nil
    }

    private static func uuidBlob(_ value: SQLiteValue) throws(SQLEvaluationError) -> SQLiteValue {
        guard let text = value.textValue else { return .null }
        guard let uuid = UUID(uuidString: text) else {
            throw SQLEvaluationError("Cannot call uuid_blob on a non UUID value")
        }
        return withUnsafeBytes(of: uuid.uuid) { .blob(Array($0)) }
    }
}
