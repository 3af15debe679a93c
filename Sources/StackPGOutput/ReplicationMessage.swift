/// A CopyBoth message from the walsender: WAL data or a primary keepalive.
public enum ReplicationMessage: Hashable, Sendable {
    /// 'w': a chunk of WAL data (one pgoutput message).
    case xLogData(XLogData)
    /// 'k': a keepalive, possibly asking for an immediate status update.
    case keepalive(PrimaryKeepalive)

    /// Decodes one CopyData payload received from `PQgetCopyData`.
    public static func decode(_ bytes: [UInt8]) throws -> ReplicationMessage {
        var reader = ByteReader(bytes, context: "replication CopyData message")
        switch try reader.byte("message type") {
        case UInt8(ascii: "w"):
            reader = ByteReader(bytes, offset: 1, context: "XLogData message")
            return .xLogData(
                XLogData(
                    walStart: try reader.lsn("WAL start"), walEnd: try reader.lsn("WAL end"),
                    serverTime: try reader.int64("server time"), payload: reader.rest()))
        case UInt8(ascii: "k"):
            reader = ByteReader(bytes, offset: 1, context: "primary keepalive message")
            let walEnd = try reader.lsn("WAL end")
            let serverTime = try reader.int64("server time")
            let offset = reader.offset
            let reply = try reader.byte("reply requested")
            guard reply <= 1 else {
                throw PGOutputError.unexpectedByte(reply, expected: "0 or 1", in: reader.context, at: offset)
            }
            try reader.expectEnd()
            return .keepalive(PrimaryKeepalive(walEnd: walEnd, serverTime: serverTime, replyRequested: reply == 1))
        case let other:
            throw PGOutputError.unknownMessageType(other, in: "replication CopyData")
        }
    }
}

/// XLogData ('w'): the WAL range a payload covers and the payload itself.
public struct XLogData: Hashable, Sendable {
    /// Start of the WAL data in this message.
    public var walStart: LSN
    /// Current end of WAL on the server.
    public var walEnd: LSN
    /// Server clock at transmission, microseconds since 2000-01-01 UTC.
    public var serverTime: Int64
    /// The pgoutput message bytes.
    public var payload: [UInt8]

    /// Creates an XLogData value.
    public init(walStart: LSN, walEnd: LSN, serverTime: Int64, payload: [UInt8]) {
        self.walStart = walStart
        self.walEnd = walEnd
        self.serverTime = serverTime
        self.payload = payload
    }
}

/// Primary keepalive ('k').
public struct PrimaryKeepalive: Hashable, Sendable {
    /// Current end of WAL on the server.
    public var walEnd: LSN
    /// Server clock at transmission, microseconds since 2000-01-01 UTC.
    public var serverTime: Int64
    /// True when the server wants a standby status update right away (else it may time out the connection).
    public var replyRequested: Bool

    /// Creates a keepalive value.
    public init(walEnd: LSN, serverTime: Int64, replyRequested: Bool) {
        self.walEnd = walEnd
        self.serverTime = serverTime
        self.replyRequested = replyRequested
    }
}
