import StackCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A parsed upload body: `{"transactions": [...], "client_id"?}`.
public struct UploadRequest: Sendable, Equatable {
    /// One client transaction.
    public struct Transaction: Sendable, Equatable {
        /// The client's id for it (`op_id`, or the ops' `tx_id` in CrudEntry form), as a decimal string.
        public var opID: String
        /// Its operations in order.
        public var ops: [Operation]
    }

    /// One CRUD operation, from the connector's `{op, table, id, data}` or PowerSync's CrudEntry `{op, type, id, data, tx_id}`.
    public struct Operation: Sendable, Equatable {
        /// `PUT`, `PATCH`, `DELETE`, or whatever the client sent (refused later, per transaction).
        public var kind: String
        /// The table name as sent.
        public var table: String
        /// The row id.
        public var id: String
        /// Column values (absent for DELETE).
        public var data: [String: UploadValue]
    }

    /// Client transactions in order.
    public var transactions: [Transaction]
    /// Scope of idempotency (`client_id` in the body, else the header, else empty).
    public var clientID: String

    /// Parses `bytes`; throws `UploadError.malformed` for anything that is not the documented shape.
    public init(bytes: [UInt8], clientIDHeader: String?) throws(UploadError) {
        guard let root = try? UploadJSON.parse(bytes) else {
            throw .malformed("not JSON")
        }
        guard case .object(let body) = root else { throw .malformed("the body is not a JSON object") }
        guard case .array(let list)? = body["transactions"] else { throw .malformed("'transactions' is not an array") }
        switch body["client_id"] {
        case nil, .null?: clientID = clientIDHeader ?? ""
        case .string(let text)? where !text.contains("\u{0}"): clientID = text
        default: throw .malformed("'client_id' is not a string without NUL characters")
        }
        transactions = try list.enumerated().map { (index, value) throws(UploadError) in
            try Self.transaction(value, index: index)
        }
    }

    static func transaction(_ value: UploadValue, index: Int) throws(UploadError) -> Transaction {
        guard case .object(let fields) = value else { throw .malformed("transactions[\(index)] is not an object") }
        guard case .array(let list)? = fields["ops"] ?? fields["crud"] else {
            throw .malformed("transactions[\(index)].ops is not an array")
        }
        var ops: [Operation] = []
        for (opIndex, op) in list.enumerated() {
            ops.append(try operation(op, path: "transactions[\(index)].ops[\(opIndex)]"))
        }
        var firstTxID: UploadValue?
        if case .object(let first)? = list.first { firstTxID = first["tx_id"] }
        let explicitID = try identifier(fields["op_id"], path: "transactions[\(index)].op_id")
        let crudID = try identifier(firstTxID, path: "transactions[\(index)].ops[0].tx_id")
        guard let opID = explicitID ?? crudID else {
            throw .malformed("transactions[\(index)] has no op_id (nor tx_id on its ops)")
        }
        // Postgres text cannot hold NUL: such an op_id could never be recorded, so the request could never succeed.
        guard !opID.contains("\u{0}") else { throw .malformed("transactions[\(index)].op_id contains a NUL character") }
        return Transaction(opID: opID, ops: ops)
    }

    static func operation(_ value: UploadValue, path: String) throws(UploadError) -> Operation {
        guard case .object(let fields) = value else { throw .malformed("\(path) is not an object") }
        guard case .string(let kind)? = fields["op"] else { throw .malformed("\(path).op is not a string") }
        guard case .string(let table)? = fields["table"] ?? fields["type"] else {
            throw .malformed("\(path).table (or type) is not a string")
        }
        // A missing or null id is the op's problem, not the request's: it is rejected alone (MISSING_ID), so the
        // other transactions of the request still apply.
        let id = try identifier(fields["id"], path: "\(path).id") ?? ""
        let data: [String: UploadValue]
        switch fields["data"] ?? fields["opData"] {
        case nil, .null?: data = [:]
        case .object(let values)?: data = values
        default: throw .malformed("\(path).data is not an object")
        }
        return Operation(kind: kind.uppercased(), table: table, id: id, data: data)
    }

    /// A string, or an integer written as its decimal string; nil when absent.
    static func identifier(_ value: UploadValue?, path: String) throws(UploadError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case .number(let number)?:
            guard let integer = number.integer else { throw .malformed("\(path) is neither a string nor an integer") }
            return String(integer)
        default: throw .malformed("\(path) is neither a string nor an integer")
        }
    }
}
