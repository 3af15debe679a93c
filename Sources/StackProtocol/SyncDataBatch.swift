import Foundation
import StackCore

/// `data`: a chunk of ops for one bucket.
public struct SyncDataBatch: Sendable, Equatable, Codable {
    /// Bucket name.
    public var bucket: String
    /// The position this chunk continues from.
    public var after: OpID
    /// Op id of the last op in the chunk (the next `after`).
    public var nextAfter: OpID
    /// More ops may exist for this bucket up to the checkpoint.
    public var hasMore: Bool
    /// The ops, ascending by op id.
    public var data: [OplogEntry]

    enum CodingKeys: String, CodingKey {
        case bucket, after, data
        case nextAfter = "next_after"
        case hasMore = "has_more"
    }

    /// Creates a chunk.
    public init(bucket: String, after: OpID, nextAfter: OpID, hasMore: Bool, data: [OplogEntry]) {
        self.bucket = bucket
        self.after = after
        self.nextAfter = nextAfter
        self.hasMore = hasMore
        self.data = data
    }

    /// Decodes leniently: `after`, `next_after` and `has_more` may be absent or null.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        bucket = try container.decode(String.self, forKey: .bucket)
        data = try container.decode([OplogEntry].self, forKey: .data)
        after = try container.decodeIfPresent(OpID.self, forKey: .after) ?? .zero
        nextAfter = try container.decodeIfPresent(OpID.self, forKey: .nextAfter) ?? data.last?.opID ?? after
        hasMore = try container.decodeIfPresent(Bool.self, forKey: .hasMore) ?? false
    }
}

extension SyncDataBatch: WireEncodable {
    /// Writes `{"bucket","after","next_after","has_more","data"}`, op data as JSON strings.
    public func write(to writer: inout JSONWriter) {
        write(to: &writer, dataForm: .string)
    }

    /// Writes the chunk with op data in `dataForm`.
    public func write(to writer: inout JSONWriter, dataForm: OpDataForm) {
        writer.beginObject()
        writer.key("bucket")
        writer.string(bucket)
        writer.key("after")
        writer.opID(after)
        writer.key("next_after")
        writer.opID(nextAfter)
        writer.key("has_more")
        writer.bool(hasMore)
        writer.key("data")
        writer.beginArray()
        for entry in data { entry.write(to: &writer, dataForm: dataForm) }
        writer.endArray()
        writer.endObject()
    }
}

/// The kind of a bucket op.
public enum OpType: String, Sendable, Equatable, Codable {
    /// The full row; replaces earlier ops with the same key.
    case put = "PUT"
    /// The row left the bucket.
    case remove = "REMOVE"
    /// Tombstone of a superseded op (only its checksum matters).
    case move = "MOVE"
    /// Everything before this op in the bucket is gone; its checksum is their sum.
    case clear = "CLEAR"
}

/// One op of a `data` line.
public struct OplogEntry: Sendable, Equatable, Codable {
    /// Position in the global op sequence.
    public var opID: OpID
    /// The op kind.
    public var op: OpType
    /// Output table name (PUT/REMOVE only).
    public var objectType: String?
    /// Row id (PUT/REMOVE only).
    public var objectID: String?
    /// The row as a JSON string (PUT only).
    public var data: String?
    /// The op's checksum (CLEAR: sum of what it replaced).
    public var checksum: Checksum
    /// Opaque source-row key distinguishing rows mapping to the same `(object_type, object_id)` (PUT/REMOVE only).
    public var subkey: String?

    enum CodingKeys: String, CodingKey {
        case op, data, checksum, subkey
        case opID = "op_id"
        case objectType = "object_type"
        case objectID = "object_id"
    }

    /// Creates an op.
    public init(
        opID: OpID, op: OpType, objectType: String? = nil, objectID: String? = nil, data: String? = nil,
        checksum: Checksum, subkey: String? = nil
    ) {
        self.opID = opID
        self.op = op
        self.objectType = objectType
        self.objectID = objectID
        self.data = data
        self.checksum = checksum
        self.subkey = subkey
    }

    /// A PUT with its checksum computed from the exact data text.
    public static func put(opID: OpID, objectType: String, objectID: String, data: String, subkey: String?) -> Self {
        OplogEntry(
            opID: opID, op: .put, objectType: objectType, objectID: objectID, data: data,
            checksum: .put(objectType: objectType, objectID: objectID, data: data), subkey: subkey)
    }

    /// A REMOVE with its checksum computed from the subkey.
    public static func remove(opID: OpID, objectType: String, objectID: String, subkey: String) -> Self {
        OplogEntry(
            opID: opID, op: .remove, objectType: objectType, objectID: objectID, data: nil,
            checksum: .remove(subkey: subkey), subkey: subkey)
    }

    /// Decodes; a legacy embedded JSON object in `data` is turned back into its text.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        opID = try container.decode(OpID.self, forKey: .opID)
        op = try container.decode(OpType.self, forKey: .op)
        objectType = try container.decodeIfPresent(String.self, forKey: .objectType)
        objectID = try container.decodeIfPresent(String.self, forKey: .objectID)
        checksum = try container.decode(Checksum.self, forKey: .checksum)
        subkey = try container.decodeIfPresent(String.self, forKey: .subkey)
        if let text = try? container.decodeIfPresent(String.self, forKey: .data) {
            data = text
        } else if let value = try container.decodeIfPresent(JSONValue.self, forKey: .data), value != .null {
            var writer = JSONWriter()
            writer.value(value)
            data = String(decoding: writer.bytes, as: UTF8.self)
        } else {
            data = nil
        }
    }
}

/// How op `data` is written on an NDJSON stream (PowerSync's `raw_data` request flag).
public enum OpDataForm: Sendable, Equatable {
    /// A JSON string holding the row's JSON text (`raw_data: true`; what client cores use).
    case string
    /// The row's JSON object itself (legacy NDJSON clients, `raw_data` false or absent).
    case object

    /// The form a request asks for: the string only when `raw_data` is true.
    public init(rawData: Bool?) {
        self = rawData == true ? .string : .object
    }
}

extension OplogEntry: WireEncodable {
    /// Writes `{"op_id","op","object_type","object_id","data","checksum","subkey"}`, omitting absent fields.
    public func write(to writer: inout JSONWriter) {
        write(to: &writer, dataForm: .string)
    }

    /// Writes the op with its data in `dataForm`. The checksum is an integer in both forms.
    public func write(to writer: inout JSONWriter, dataForm: OpDataForm) {
        writer.beginObject()
        writer.key("op_id")
        writer.opID(opID)
        writer.key("op")
        writer.string(op.rawValue)
        if let objectType {
            writer.key("object_type")
            writer.string(objectType)
        }
        if let objectID {
            writer.key("object_id")
            writer.string(objectID)
        }
        if let data {
            writer.key("data")
            // Row data is an object's JSON text (replication writes it); anything else stays a string, so a line
            // is valid JSON whatever storage holds.
            if dataForm == .object, data.utf8.first == UInt8(ascii: "{"), data.utf8.last == UInt8(ascii: "}") {
                writer.embedded(json: data)
            } else {
                writer.string(data)
            }
        }
        writer.key("checksum")
        writer.integer(checksum.value)
        if let subkey {
            writer.key("subkey")
            writer.string(subkey)
        }
        writer.endObject()
    }
}
