import StackCore

/// PowerSync's wrapper for normal JSON responses: `{"data": <result>}`.
public struct DataEnvelope<Payload: Codable & Sendable & Equatable>: Sendable, Equatable, Codable {
    /// The result.
    public var data: Payload

    /// Wraps a result.
    public init(_ data: Payload) {
        self.data = data
    }
}

/// The result of `GET /write-checkpoint2.json?client_id=…`: `{"data": {"write_checkpoint": "n"}}`.
public struct WriteCheckpointResult: Sendable, Equatable, Codable {
    /// The new write checkpoint, a decimal string on the wire.
    public var writeCheckpoint: OpID

    enum CodingKeys: String, CodingKey {
        case writeCheckpoint = "write_checkpoint"
    }

    /// Creates a result.
    public init(writeCheckpoint: OpID) {
        self.writeCheckpoint = writeCheckpoint
    }
}

/// The full write-checkpoint response body.
public typealias WriteCheckpointResponse = DataEnvelope<WriteCheckpointResult>

/// The body of `POST /sync/checkpoint-request` (client-chosen monotonic ids).
public struct CheckpointRequestBody: Sendable, Equatable, Codable {
    /// The client's id.
    public var clientID: String?
    /// The requested id (1 … 2^63−1; string or number on the wire).
    public var checkpointRequestID: OpID

    enum CodingKeys: String, CodingKey {
        case clientID = "client_id"
        case checkpointRequestID = "checkpoint_request_id"
    }

    /// Creates a body.
    public init(clientID: String?, checkpointRequestID: OpID) {
        self.clientID = clientID
        self.checkpointRequestID = checkpointRequestID
    }
}

/// The result of `POST /sync/checkpoint-request`: the stored id (may exceed the requested one).
public struct CheckpointRequestResult: Sendable, Equatable, Codable {
    /// The stored id.
    public var checkpointRequestID: OpID

    enum CodingKeys: String, CodingKey {
        case checkpointRequestID = "checkpoint_request_id"
    }

    /// Creates a result.
    public init(checkpointRequestID: OpID) {
        self.checkpointRequestID = checkpointRequestID
    }
}

/// PowerSync's error body for non-stream HTTP errors: `{"error": {"name","code","status","description",…}}`.
public struct ServiceErrorBody: Sendable, Equatable, Codable {
    /// The error.
    public var error: ServiceErrorDetail

    /// Wraps an error.
    public init(error: ServiceErrorDetail) {
        self.error = error
    }
}

/// The inner object of a PowerSync error body.
public struct ServiceErrorDetail: Sendable, Equatable, Codable {
    /// Error class name, e.g. `AuthorizationError`.
    public var name: String?
    /// `PSYNC_Sxxxx`.
    public var code: String
    /// HTTP status.
    public var status: Int
    /// Human-readable description.
    public var description: String
    /// Extra detail, if any.
    public var details: String?

    /// Creates an error detail.
    public init(name: String? = nil, code: String, status: Int, description: String, details: String? = nil) {
        self.name = name
        self.code = code
        self.status = status
        self.description = description
        self.details = details
    }
}

extension ServiceErrorBody: WireEncodable {
    /// Writes `{"error":{"name"?,"code","status","description","details"?}}`.
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("error")
        writer.beginObject()
        if let name = error.name {
            writer.key("name")
            writer.string(name)
        }
        writer.key("code")
        writer.string(error.code)
        writer.key("status")
        writer.integer(error.status)
        writer.key("description")
        writer.string(error.description)
        if let details = error.details {
            writer.key("details")
            writer.string(details)
        }
        writer.endObject()
        writer.endObject()
    }
}
