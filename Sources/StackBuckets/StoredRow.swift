import StackSyncRules

import struct StackCore.JSONTextWriter

/// A replicated source table, as bucket storage names it (`schema.table`).
public struct SourceTable: Hashable, Sendable, CustomStringConvertible {
    /// Schema name.
    public let schema: String
    /// Table name.
    public let name: String
    /// `schema.table`, the `source_table` column value (kept: every row change names its table).
    public let description: String

    /// Creates a reference.
    public init(schema: String = "public", name: String) {
        self.schema = schema
        self.name = name
        self.description = schema + "." + name
    }

    public static func == (lhs: SourceTable, rhs: SourceTable) -> Bool {
        lhs.schema == rhs.schema && lhs.name == rhs.name
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(schema)
        hasher.combine(name)
    }
}

/// One source row: its table and replica-identity key (`source_key`, the identity values as a JSON array).
public struct SourceRowKey: Hashable, Sendable {
    /// `schema.table`.
    public let table: String
    /// The identity values as JSON array text, e.g. `["d1"]`.
    public let key: String
    // A batch looks each key up several times (load, plan, write): its strings are hashed once, here.
    private let hash: Int

    /// Creates a key.
    public init(table: String, key: String) {
        self.table = table
        self.key = key
        var hasher = Hasher()
        hasher.combine(table)
        hasher.combine(key)
        hash = hasher.finalize()
    }

    public static func == (lhs: SourceRowKey, rhs: SourceRowKey) -> Bool {
        lhs.hash == rhs.hash && lhs.table == rhs.table && lhs.key == rhs.key
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(hash)
    }

    /// The `subkey` clients see on this row's ops.
    public var subkey: String { Subkey.make(sourceTable: table, sourceKey: key) }

    /// The `source_key` text for identity values.
    public static func keyText(_ values: [SQLiteValue]) -> String {
        // A text `id`, the common key, written directly (the same escaping as the general path below).
        if values.count == 1, case .text(let text) = values[0] {
            var writer = JSONTextWriter(capacity: text.utf8.count + 8)
            writer.raw("[")
            writer.quoted(text)
            writer.raw("]")
            return writer.text
        }
        return JSONValue.array(values.map { $0.jsonValue ?? .null }).jsonText(preserveRealType: true)
    }
}

/// A bucket a source row currently sits in, as one output row.
public struct BucketMembership: Hashable, Sendable {
    /// Bucket name.
    public var bucket: String
    /// Output table (`object_type`).
    public var table: String
    /// Output id (`object_id`).
    public var id: String

    /// Creates a membership.
    public init(bucket: String, table: String, id: String) {
        self.bucket = bucket
        self.table = table
        self.id = id
    }
}

/// What storage remembers of a source row (`current_data`): bucket memberships, parameter lookups and, for rows
/// large enough to have TOASTed values, a row copy.
public struct StoredRow: Hashable, Sendable {
    /// Buckets the row's outputs are in.
    public var buckets: [BucketMembership]
    /// Serialized parameter lookup keys the row produced.
    public var lookups: [String]
    /// The full row, used to fill unchanged TOAST values of later updates; nil when no copy is kept.
    public var data: SQLiteRow?
    /// `data` as the JSON object text `current_data` stores; empty when no copy is kept.
    public var dataText: String

    /// Creates a stored row; `dataText` must be `data.jsonText` (pass it when it is already at hand).
    public init(buckets: [BucketMembership], lookups: [String], data: SQLiteRow?, dataText: String? = nil) {
        self.buckets = buckets
        self.lookups = lookups
        self.data = data
        self.dataText = data == nil ? "" : dataText ?? data?.jsonText ?? ""
    }

    /// Rows whose JSON text is at least this long keep a copy in `current_data`.
    ///
    /// An update reports a column as unchanged (pgoutput `'u'`) only when the old value is stored out of line, and
    /// Postgres moves values out of line only from rows past its TOAST threshold (about 2 KB; `toast_tuple_target`
    /// can lower it to 128 bytes). A smaller row needs no copy: that saves writing and reading most rows twice. An
    /// unchanged marker without a copy still works: the value is read from the source table (`incompleteRows`).
    public static let copyThreshold = 1024

    /// True when `row` is large enough that a later update may leave some of its values out (see `copyThreshold`).
    public static func needsCopy(_ row: SQLiteRow) -> Bool {
        var size = 2
        for column in row.columns {
            size += column.name.utf8.count + 4
            switch column.value {
            case .null: size += 4
            case .integer, .real: size += 20
            case .text(let text): size += text.utf8.count
            case .blob(let bytes): size += bytes.count * 2
            }
            if size >= copyThreshold { return true }
        }
        return false
    }
}

/// Serialisation of stored rows into the text columns of `current_data`.
extension StoredRow {
    /// `buckets` as JSON text: `[["bucket","table","id"],…]`.
    var bucketsText: String {
        var writer = JSONTextWriter(capacity: 16 + buckets.count * 64)
        writer.raw("[")
        for (index, membership) in buckets.enumerated() {
            if index > 0 { writer.raw(",") }
            writer.raw("[")
            writer.quoted(membership.bucket)
            writer.raw(",")
            writer.quoted(membership.table)
            writer.raw(",")
            writer.quoted(membership.id)
            writer.raw("]")
        }
        writer.raw("]")
        return writer.text
    }

    /// `lookups` as a JSON array of strings.
    var lookupsText: String {
        var writer = JSONTextWriter(capacity: 16 + lookups.count * 32)
        writer.raw("[")
        for (index, lookup) in lookups.enumerated() {
            if index > 0 { writer.raw(",") }
            writer.quoted(lookup)
        }
        writer.raw("]")
        return writer.text
    }

    /// Parses the stored columns; malformed values read as empty, and an empty `dataText` as no copy.
    init(bucketsText: String, lookupsText: String, dataText: String) {
        var buckets: [BucketMembership] = []
        if case .array(let items)? = try? JSONValue.parse(bucketsText) {
            for case .array(let parts) in items where parts.count == 3 {
                if case .string(let bucket) = parts[0], case .string(let table) = parts[1],
                    case .string(let id) = parts[2]
                {
                    buckets.append(BucketMembership(bucket: bucket, table: table, id: id))
                }
            }
        }
        var lookups: [String] = []
        if case .array(let items)? = try? JSONValue.parse(lookupsText) {
            for case .string(let lookup) in items { lookups.append(lookup) }
        }
        self.init(
            buckets: buckets, lookups: lookups, data: dataText.isEmpty ? nil : SQLiteRow(jsonObject: dataText),
            dataText: dataText)
    }
}

extension SQLiteRow {
    /// A row from JSON object text (as `jsonText` writes it); members that are not scalars become text.
    public init(jsonObject text: String) {
        guard case .object(let members)? = try? JSONValue.parse(text) else {
            self.init()
            return
        }
        self.init(members.map { SQLiteColumn(name: $0.key, value: SQLiteValue(json: $0.value)) })
    }
}

extension SQLiteValue {
    /// The SQLite value of a JSON scalar (booleans as 1/0, nested JSON as its text).
    public init(json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let flag): self = .integer(flag ? 1 : 0)
        case .integer(let value): self = .integer(value)
        case .real(let value): self = .real(value)
        case .string(let value): self = .text(value)
        case .array, .object: self = .text(json.jsonText())
        }
    }
}
