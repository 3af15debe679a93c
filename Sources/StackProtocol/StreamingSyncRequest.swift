import StackCore

/// The body of `POST /sync/stream`: the client's bucket positions and options. Unknown fields are ignored.
public struct StreamingSyncRequest: Sendable, Equatable, Codable {
    /// Buckets the client already has and the last op id it holds for each (missing ⇒ start at 0).
    public var buckets: [BucketRequest]?
    /// Ignored by servers (checksums are always sent); clients send `true`.
    public var includeChecksum: Bool?
    /// `true` ⇒ op `data` is a JSON string; false or absent ⇒ the row's JSON object (legacy NDJSON form).
    public var rawData: Bool?
    /// Ignored by servers; the Rust client core sends `true`.
    public var binaryData: Bool?
    /// Stable per-database id, used for write checkpoints (`<sub>/<client_id>`).
    public var clientID: String?
    /// Client parameters (`request.parameters()` in sync rules); unauthenticated.
    public var parameters: JSONValue?
    /// Free-form metadata, for logging only.
    public var appMetadata: [String: String]?
    /// Sync-streams subscriptions.
    public var streams: StreamsRequest?

    enum CodingKeys: String, CodingKey {
        case buckets, parameters, streams
        case includeChecksum = "include_checksum"
        case rawData = "raw_data"
        case binaryData = "binary_data"
        case clientID = "client_id"
        case appMetadata = "app_metadata"
    }

    /// Creates a request.
    public init(
        buckets: [BucketRequest]? = nil, includeChecksum: Bool? = true, rawData: Bool? = true,
        binaryData: Bool? = true, clientID: String? = nil, parameters: JSONValue? = nil,
        appMetadata: [String: String]? = nil, streams: StreamsRequest? = nil
    ) {
        self.buckets = buckets
        self.includeChecksum = includeChecksum
        self.rawData = rawData
        self.binaryData = binaryData
        self.clientID = clientID
        self.parameters = parameters
        self.appMetadata = appMetadata
        self.streams = streams
    }

    /// The client's position in each bucket it listed (later duplicates win).
    public var positions: [String: OpID] {
        var result: [String: OpID] = [:]
        for bucket in buckets ?? [] { result[bucket.name] = bucket.after }
        return result
    }
}

/// One `{name, after}` entry of the request.
public struct BucketRequest: Sendable, Equatable, Codable {
    /// Bucket name.
    public var name: String
    /// Last op id the client holds for it.
    public var after: OpID

    /// Creates an entry.
    public init(name: String, after: OpID) {
        self.name = name
        self.after = after
    }
}

/// The `streams` block of the request.
public struct StreamsRequest: Sendable, Equatable, Codable {
    /// Also sync auto-subscribed streams and legacy bucket definitions (default true).
    public var includeDefaults: Bool?
    /// Explicit subscriptions.
    public var subscriptions: [StreamSubscriptionRequest]

    enum CodingKeys: String, CodingKey {
        case subscriptions
        case includeDefaults = "include_defaults"
    }

    /// Creates a streams block.
    public init(includeDefaults: Bool? = true, subscriptions: [StreamSubscriptionRequest] = []) {
        self.includeDefaults = includeDefaults
        self.subscriptions = subscriptions
    }

    /// Decodes leniently: `subscriptions` may be absent.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        includeDefaults = try container.decodeIfPresent(Bool.self, forKey: .includeDefaults)
        subscriptions = try container.decodeIfPresent([StreamSubscriptionRequest].self, forKey: .subscriptions) ?? []
    }
}

/// One explicit sync-stream subscription.
public struct StreamSubscriptionRequest: Sendable, Equatable, Codable {
    /// Stream name.
    public var stream: String
    /// `subscription.parameter(...)` values.
    public var parameters: JSONValue?
    /// Priority override for this subscription's buckets.
    public var overridePriority: Int?

    enum CodingKeys: String, CodingKey {
        case stream, parameters
        case overridePriority = "override_priority"
    }

    /// Creates a subscription.
    public init(stream: String, parameters: JSONValue? = nil, overridePriority: Int? = nil) {
        self.stream = stream
        self.parameters = parameters
        self.overridePriority = overridePriority
    }
}

extension StreamingSyncRequest: WireEncodable {
    /// Writes the request as the Rust client core does (`parameters` and `streams` always present).
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("buckets")
        writer.beginArray()
        for bucket in buckets ?? [] {
            writer.beginObject()
            writer.key("name")
            writer.string(bucket.name)
            writer.key("after")
            writer.opID(bucket.after)
            writer.endObject()
        }
        writer.endArray()
        if let includeChecksum {
            writer.key("include_checksum")
            writer.bool(includeChecksum)
        }
        if let rawData {
            writer.key("raw_data")
            writer.bool(rawData)
        }
        if let binaryData {
            writer.key("binary_data")
            writer.bool(binaryData)
        }
        if let clientID {
            writer.key("client_id")
            writer.string(clientID)
        }
        writer.key("parameters")
        writer.value(parameters ?? .null)
        if let appMetadata {
            writer.key("app_metadata")
            writer.value(.object(appMetadata.mapValues { .string($0) }))
        }
        let streams = streams ?? StreamsRequest()
        writer.key("streams")
        writer.beginObject()
        writer.key("include_defaults")
        writer.bool(streams.includeDefaults ?? true)
        writer.key("subscriptions")
        writer.beginArray()
        for subscription in streams.subscriptions {
            writer.beginObject()
            writer.key("stream")
            writer.string(subscription.stream)
            writer.key("parameters")
            writer.value(subscription.parameters ?? .null)
            writer.key("override_priority")
            if let priority = subscription.overridePriority { writer.integer(priority) } else { writer.null() }
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        writer.endObject()
    }
}
