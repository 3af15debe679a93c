import StackCore

/// One bucket of a `checkpoint` / `checkpoint_diff` line: its checksum and op count at the checkpoint.
public struct BucketChecksum: Sendable, Equatable, Codable {
    /// Bucket name.
    public var bucket: String
    /// Wrapping sum of the bucket's op checksums up to the checkpoint (written signed, as the JS service does).
    public var checksum: Checksum
    /// Number of ops up to the checkpoint (informational, used for progress).
    public var count: Int64
    /// 0 (highest) … 3 (default, also when absent on the wire).
    public var priority: Int
    /// Why the client has this bucket (sync streams); nil for legacy clients.
    public var subscriptions: [BucketSubscriptionReason]?

    /// The priority of buckets that do not state one.
    public static let defaultPriority = 3

    enum CodingKeys: String, CodingKey {
        case bucket, checksum, count, priority, subscriptions
    }

    /// Creates a bucket entry.
    public init(
        bucket: String, checksum: Checksum, count: Int64, priority: Int = BucketChecksum.defaultPriority,
        subscriptions: [BucketSubscriptionReason]? = nil
    ) {
        self.bucket = bucket
        self.checksum = checksum
        self.count = count
        self.priority = priority
        self.subscriptions = subscriptions
    }

    /// Decodes leniently: `count` and `priority` may be absent.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        bucket = try container.decode(String.self, forKey: .bucket)
        checksum = try container.decode(Checksum.self, forKey: .checksum)
        count = try container.decodeIfPresent(Int64.self, forKey: .count) ?? 0
        priority = try container.decodeIfPresent(Int.self, forKey: .priority) ?? Self.defaultPriority
        subscriptions = try container.decodeIfPresent([BucketSubscriptionReason].self, forKey: .subscriptions)
    }
}

extension BucketChecksum: WireEncodable {
    /// Writes `{"bucket","checksum"(signed),"count","priority"[,"subscriptions"]}`.
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("bucket")
        writer.string(bucket)
        writer.key("checksum")
        writer.integer(checksum.signed)
        writer.key("count")
        writer.integer(count)
        writer.key("priority")
        writer.integer(priority)
        if let subscriptions {
            writer.key("subscriptions")
            writer.beginArray()
            for reason in subscriptions { reason.write(to: &writer) }
            writer.endArray()
        }
        writer.endObject()
    }
}

/// Why a bucket is synced: a default stream (index into `streams`) or an explicit subscription (index into the request).
public enum BucketSubscriptionReason: Sendable, Equatable, Codable, WireEncodable {
    /// `{"default": n}`.
    case defaultStream(Int)
    /// `{"sub": n}`.
    case subscription(Int)

    enum CodingKeys: String, CodingKey {
        case defaultStream = "default"
        case subscription = "sub"
    }

    /// Decodes either form.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let index = try container.decodeIfPresent(Int.self, forKey: .subscription) {
            self = .subscription(index)
        } else {
            self = .defaultStream(try container.decode(Int.self, forKey: .defaultStream))
        }
    }

    /// Encodes the one key.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .defaultStream(let index): try container.encode(index, forKey: .defaultStream)
        case .subscription(let index): try container.encode(index, forKey: .subscription)
        }
    }

    /// Writes the one-key object.
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        switch self {
        case .defaultStream(let index):
            writer.key("default")
            writer.integer(index)
        case .subscription(let index):
            writer.key("sub")
            writer.integer(index)
        }
        writer.endObject()
    }
}

/// One entry of `checkpoint.streams`: a stream the client has, and its per-subscription errors.
public struct StreamDescription: Sendable, Equatable, Codable, WireEncodable {
    /// Stream name.
    public var name: String
    /// Whether it is synced by default (auto-subscribed).
    public var isDefault: Bool
    /// Errors per subscription (`subscription` is `"default"` or an integer index).
    public var errors: [StreamSubscriptionError]

    enum CodingKeys: String, CodingKey {
        case name, errors
        case isDefault = "is_default"
    }

    /// Creates a stream description.
    public init(name: String, isDefault: Bool, errors: [StreamSubscriptionError] = []) {
        self.name = name
        self.isDefault = isDefault
        self.errors = errors
    }

    /// Writes `{"name","is_default","errors"}`.
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("name")
        writer.string(name)
        writer.key("is_default")
        writer.bool(isDefault)
        writer.key("errors")
        writer.beginArray()
        for error in errors {
            writer.beginObject()
            writer.key("subscription")
            writer.value(error.subscription)
            writer.key("message")
            writer.string(error.message)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
    }
}

/// An error resolving one subscription of a stream.
public struct StreamSubscriptionError: Sendable, Equatable, Codable {
    /// `"default"` or the subscription's index in the request.
    public var subscription: JSONValue
    /// What went wrong.
    public var message: String

    /// Creates an error entry.
    public init(subscription: JSONValue, message: String) {
        self.subscription = subscription
        self.message = message
    }
}
