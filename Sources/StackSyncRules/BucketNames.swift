import StackCore

/// Bucket name serialisation exactly as PowerSync's `JSONBucketNameSerialize`: `def["v1",2]`, `def[]`,
/// numbers in JavaScript notation (so 314 and 314.0 both print `314`), strings with `JSON.stringify` escaping.
public enum BucketNames {
    /// The serialised parameter list, e.g. `["u1",3]`.
    public static func serializeParameters(_ values: [SQLiteValue]) -> String {
        var output = ""
        appendParameters(values, to: &output)
        return output
    }

    /// The full bucket name: optional `"<streamID>#"` prefix, definition name, parameter list.
    public static func name(definition: String, parameters: [SQLiteValue], streamID: String? = nil) -> String {
        // One string grown in place: a name is built for every output row of every replicated change.
        var output = ""
        output.reserveCapacity(definition.utf8.count + 48)
        if let streamID {
            output.append(streamID)
            output.append("#")
        }
        output.append(definition)
        appendParameters(parameters, to: &output)
        return output
    }

    private static func appendParameters(_ values: [SQLiteValue], to output: inout String) {
        output.append("[")
        for (index, value) in values.enumerated() {
            if index > 0 { output.append(",") }
            switch value {
            case .null, .blob: output.append("null")
            case .integer(let number): output.append(String(number))
            case .real(let number): output.append(JSONText.real(number, preserveRealType: false))
            case .text(let text): JSONString.append(text, to: &output)
            }
        }
        output.append("]")
    }
}

/// The last bucket name built for each definition, reused while the parameters stay the same: rows of one bucket
/// then share one name string instead of building it again for each row.
public struct BucketNameMemo: Sendable {
    private var entries: [String: (parameters: [SQLiteValue], streamID: String?, name: String)] = [:]

    /// Creates an empty memo.
    public init() {}

    /// `BucketNames.name(definition:parameters:streamID:)`, from the memo when the last name of `definition` had
    /// the same parameters (compared byte for byte: Swift's `==` on strings equates canonically equivalent texts,
    /// whose names differ).
    public mutating func name(definition: String, parameters: [SQLiteValue], streamID: String?) -> String {
        if let entry = entries[definition], entry.streamID == streamID,
            Self.same(entry.parameters, parameters)
        {
            return entry.name
        }
        let name = BucketNames.name(definition: definition, parameters: parameters, streamID: streamID)
        entries[definition] = (parameters, streamID, name)
        return name
    }

    private static func same(_ lhs: [SQLiteValue], _ rhs: [SQLiteValue]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (left, right) in zip(lhs, rhs) {
            switch (left, right) {
            case (.null, .null): continue
            case (.integer(let a), .integer(let b)) where a == b: continue
            case (.text(let a), .text(let b)) where a.utf8.elementsEqual(b.utf8): continue
            default: return false  // reals and blobs are named anew
            }
        }
        return true
    }
}

/// A bucket a request may sync, with its priority and the definition that produced it.
public struct BucketDescription: Sendable, Hashable {
    /// The full bucket name, e.g. `1#user_lists["abc"]`.
    public var name: String
    /// 0 (highest) … 3 (default).
    public var priority: Int
    /// The bucket definition name.
    public var definition: String

    /// Creates a description.
    public init(name: String, priority: Int, definition: String) {
        self.name = name
        self.priority = priority
        self.definition = definition
    }
}

/// One output of a data query for a source row: the row belongs to `bucket` as `objectType`/`objectID`.
public struct EvaluatedRow: Sendable, Hashable {
    /// The full bucket name.
    public var bucket: String
    /// The bucket definition name.
    public var definition: String
    /// The output table name: the alias if given, else the source table name.
    public var objectType: String
    /// The `id` output column as text ("" when missing).
    public var objectID: String
    /// The selected columns in output order, blobs dropped.
    public var data: SQLiteRow
}

/// A failure evaluating one query on one row; PowerSync logs these and skips the output.
public struct RowEvaluationError: Sendable, Hashable {
    /// The bucket definition name.
    public var definition: String
    /// 0-based index of the query in its list.
    public var queryIndex: Int
    /// What failed, e.g. "IN is only supported on JSON arrays".
    public var message: String
}

/// All outputs and errors of evaluating one source row.
public struct RowEvaluationResult: Sendable, Hashable {
    /// Bucket outputs.
    public var rows: [EvaluatedRow] = []
    /// Per-query failures.
    public var errors: [RowEvaluationError] = []
}

/// A key of the parameter index: definition name, parameter query id (1-based, as PowerSync) and the values.
public struct ParameterLookup: Sendable, Hashable {
    /// The bucket definition name.
    public var definition: String
    /// PowerSync's query id: the 1-based position among the definition's parameter queries, as text.
    public var queryID: String
    /// The lookup values, normalised so integral reals are integers (1 and 1.0 match).
    public var values: [SQLiteValue]

    /// Creates a lookup, normalising the values.
    public init(definition: String, queryID: String, values: [SQLiteValue]) {
        self.definition = definition
        self.queryID = queryID
        self.values = values.map(Self.normalize)
    }

    /// A stable text key, `["def","1","u1"]` (JSON with integral reals already normalised).
    public var serializedKey: String {
        JSONValue.array([.string(definition), .string(queryID)] + values.map { $0.jsonValue ?? .null })
            .jsonText(preserveRealType: true)
    }

    private static func normalize(_ value: SQLiteValue) -> SQLiteValue {
        if case .real(let number) = value, number.rounded() == number, abs(number) < 9.2e18 {
            return .integer(Int64(number))
        }
        return value
    }
}

/// One parameter-index row produced by a source row of a parameter query's table.
public struct ParameterIndexEntry: Sendable, Hashable {
    /// Where to store it.
    public var lookup: ParameterLookup
    /// The selected row-side output columns (blobs dropped); PowerSync stores these as a JSON array of objects.
    public var bucketParameters: [SQLiteRow]
}
