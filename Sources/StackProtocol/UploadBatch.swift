import StackCore

/// The body of `PUT /api/powersync/upload`: `{"transactions":[{"op_id","ops":[…]}], "client_id"?}`.
public struct UploadRequest: Sendable, Equatable, Codable {
    /// Client transactions, each applied atomically.
    public var transactions: [UploadTransaction]
    /// Scopes idempotency (may also come as a header).
    public var clientID: String?

    enum CodingKeys: String, CodingKey {
        case transactions
        case clientID = "client_id"
    }

    /// Creates a request.
    public init(transactions: [UploadTransaction], clientID: String? = nil) {
        self.transactions = transactions
        self.clientID = clientID
    }
}

/// One client transaction of an upload.
public struct UploadTransaction: Sendable, Equatable, Codable {
    /// The client's transaction id (a string; numbers are accepted and turned into their decimal text).
    public var opID: String
    /// The CRUD ops, in order.
    public var ops: [CrudOperation]

    enum CodingKeys: String, CodingKey {
        case ops
        case opID = "op_id"
    }

    /// Creates a transaction.
    public init(opID: String, ops: [CrudOperation]) {
        self.opID = opID
        self.ops = ops
    }

    /// Decodes; `op_id` may be a string or an integer.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let text = try? container.decode(String.self, forKey: .opID) {
            opID = text
        } else {
            opID = String(try container.decode(Int64.self, forKey: .opID))
        }
        ops = try container.decode([CrudOperation].self, forKey: .ops)
    }
}

/// A local write: `PUT` (full row, nulls omitted), `PATCH` (changed columns) or `DELETE`.
public enum CrudOpType: String, Sendable, Equatable, Codable {
    /// Insert or replace the full row.
    case put = "PUT"
    /// Change only the listed columns.
    case patch = "PATCH"
    /// Delete the row.
    case delete = "DELETE"
}

/// One CRUD op. Decodes the upload form (`table`) and PowerSync's CrudEntry form (`type`, `tx_id`).
public struct CrudOperation: Sendable, Equatable, Codable {
    /// The kind of write.
    public var op: CrudOpType
    /// Table name.
    public var table: String
    /// Row id.
    public var id: String
    /// Column values (PUT: all non-null columns; PATCH: changed columns, `null` for cleared ones).
    public var data: [String: JSONValue]?

    enum CodingKeys: String, CodingKey {
        case op, table, type, id, data
    }

    /// Creates an op.
    public init(op: CrudOpType, table: String, id: String, data: [String: JSONValue]? = nil) {
        self.op = op
        self.table = table
        self.id = id
        self.data = data
    }

    /// Decodes either form; `table` wins over `type`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        op = try container.decode(CrudOpType.self, forKey: .op)
        if let table = try container.decodeIfPresent(String.self, forKey: .table) {
            self.table = table
        } else {
            table = try container.decode(String.self, forKey: .type)
        }
        id = try container.decode(String.self, forKey: .id)
        data = try container.decodeIfPresent([String: JSONValue].self, forKey: .data)
    }

    /// Encodes the upload form (`op`, `table`, `id`, `data`).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(op, forKey: .op)
        try container.encode(table, forKey: .table)
        try container.encode(id, forKey: .id)
        try container.encodeIfPresent(data, forKey: .data)
    }
}

/// The 200 response of the upload endpoint.
public struct UploadResponse: Sendable, Equatable, Codable {
    /// op_ids applied now or earlier (idempotent replays).
    public var applied: [String]
    /// Transactions permanently refused (the client completes them and does not retry).
    public var rejected: [UploadRejection]

    /// Creates a response.
    public init(applied: [String], rejected: [UploadRejection]) {
        self.applied = applied
        self.rejected = rejected
    }

    /// Decodes leniently: either list may be absent.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        applied = try container.decodeIfPresent([String].self, forKey: .applied) ?? []
        rejected = try container.decodeIfPresent([UploadRejection].self, forKey: .rejected) ?? []
    }

    enum CodingKeys: String, CodingKey {
        case applied, rejected
    }
}

/// Why one transaction was refused.
public struct UploadRejection: Sendable, Equatable, Codable {
    /// The transaction's op_id.
    public var opID: String
    /// Index of the failing op within the transaction.
    public var opIndex: Int
    /// Stable error code.
    public var code: String
    /// What is wrong.
    public var message: String

    enum CodingKeys: String, CodingKey {
        case code, message
        case opID = "op_id"
        case opIndex = "op_index"
    }

    /// Creates a rejection.
    public init(opID: String, opIndex: Int, code: String, message: String) {
        self.opID = opID
        self.opIndex = opIndex
        self.code = code
        self.message = message
    }
}
