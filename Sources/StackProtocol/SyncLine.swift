import Foundation
import StackCore

/// One line of the sync stream: an object with exactly one top-level key.
public enum SyncLine: Sendable, Equatable {
    /// `{"checkpoint": …}`.
    case checkpoint(Checkpoint)
    /// `{"checkpoint_diff": …}`.
    case checkpointDiff(CheckpointDiff)
    /// `{"data": …}`.
    case data(SyncDataBatch)
    /// `{"checkpoint_complete": …}`.
    case checkpointComplete(CheckpointComplete)
    /// `{"partial_checkpoint_complete": …}`.
    case partialCheckpointComplete(PartialCheckpointComplete)
    /// `{"token_expires_in": seconds}` (also the keepalive).
    case tokenExpiresIn(Int)
    /// A line whose key this implementation does not know; clients ignore it.
    case unknown(key: String)

    /// The line's one top-level key.
    public var key: String {
        switch self {
        case .checkpoint: "checkpoint"
        case .checkpointDiff: "checkpoint_diff"
        case .data: "data"
        case .checkpointComplete: "checkpoint_complete"
        case .partialCheckpointComplete: "partial_checkpoint_complete"
        case .tokenExpiresIn: "token_expires_in"
        case .unknown(let key): key
        }
    }
}

extension SyncLine: Codable {
    struct LineKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes any line; the first known key wins, an object with only unknown keys is `.unknown`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: LineKey.self)
        for key in container.allKeys {
            switch key.stringValue {
            case "checkpoint": self = .checkpoint(try container.decode(Checkpoint.self, forKey: key))
            case "checkpoint_diff": self = .checkpointDiff(try container.decode(CheckpointDiff.self, forKey: key))
            case "data": self = .data(try container.decode(SyncDataBatch.self, forKey: key))
            case "checkpoint_complete":
                self = .checkpointComplete(try container.decode(CheckpointComplete.self, forKey: key))
            case "partial_checkpoint_complete":
                self = .partialCheckpointComplete(try container.decode(PartialCheckpointComplete.self, forKey: key))
            case "token_expires_in":
                let seconds = try container.decode(Double.self, forKey: key)
                self = .tokenExpiresIn(Int(seconds.rounded(.up)))
            default: continue
            }
            return
        }
        self = .unknown(key: container.allKeys.first?.stringValue ?? "")
    }

    /// Encodes the one key (JSONEncoder's key order is unspecified: use `ndjson()` for the wire).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: LineKey.self)
        let key = LineKey(stringValue: self.key)
        switch self {
        case .checkpoint(let value): try container.encode(value, forKey: key)
        case .checkpointDiff(let value): try container.encode(value, forKey: key)
        case .data(let value): try container.encode(value, forKey: key)
        case .checkpointComplete(let value): try container.encode(value, forKey: key)
        case .partialCheckpointComplete(let value): try container.encode(value, forKey: key)
        case .tokenExpiresIn(let seconds): try container.encode(seconds, forKey: key)
        case .unknown: try container.encodeNil(forKey: key)
        }
    }
}

extension SyncLine: WireEncodable {
    /// Writes `{"<key>":<body>}`, op data as JSON strings.
    public func write(to writer: inout JSONWriter) {
        write(to: &writer, dataForm: .string)
    }

    /// Writes `{"<key>":<body>}` with the op data of a `data` line in `dataForm`.
    public func write(to writer: inout JSONWriter, dataForm: OpDataForm) {
        writer.beginObject()
        writer.key(key)
        switch self {
        case .checkpoint(let value): value.write(to: &writer)
        case .checkpointDiff(let value): value.write(to: &writer)
        case .data(let value): value.write(to: &writer, dataForm: dataForm)
        case .checkpointComplete(let value): value.write(to: &writer)
        case .partialCheckpointComplete(let value): value.write(to: &writer)
        case .tokenExpiresIn(let seconds): writer.integer(seconds)
        case .unknown: writer.null()
        }
        writer.endObject()
    }

    /// The line as NDJSON: its JSON bytes and `\n`.
    public func ndjson() -> [UInt8] {
        var writer = JSONWriter(capacity: 512)
        write(to: &writer)
        writer.newline()
        return writer.bytes
    }

    /// Decodes one line's JSON bytes (without or with the trailing newline).
    public static func decode(_ bytes: some Collection<UInt8>) throws -> SyncLine {
        // Data lines are nearly all of a download: the direct decoder takes the canonical ones.
        if let line = bytes.withContiguousStorageIfAvailable({ DataLineDecoder.decode($0) }) ?? nil { return line }
        return try JSONDecoder().decode(SyncLine.self, from: Data(bytes))
    }
}
