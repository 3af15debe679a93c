import Foundation

/// Standby status update ('r'): tells the walsender which WAL the client has written, flushed and applied.
public struct StandbyStatusUpdate: Hashable, Sendable {
    /// Last WAL byte + 1 received and written.
    public var written: LSN
    /// Last WAL byte + 1 durably flushed; the slot's `confirmed_flush_lsn` advances to this.
    public var flushed: LSN
    /// Last WAL byte + 1 applied.
    public var applied: LSN
    /// Client clock, microseconds since 2000-01-01 UTC.
    public var clientTime: Int64
    /// Ask the server to answer with a keepalive immediately.
    public var replyRequested: Bool

    /// Creates a status update.
    public init(written: LSN, flushed: LSN, applied: LSN, clientTime: Int64, replyRequested: Bool = false) {
        self.written = written
        self.flushed = flushed
        self.applied = applied
        self.clientTime = clientTime
        self.replyRequested = replyRequested
    }

    /// The 34-byte CopyData payload: 'r', three big-endian LSNs, the time, the reply flag.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "r")]
        bytes.reserveCapacity(34)
        for value in [written.rawValue, flushed.rawValue, applied.rawValue, UInt64(bitPattern: clientTime)] {
            for shift in stride(from: 56, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
            }
        }
        bytes.append(replyRequested ? 1 : 0)
        return bytes
    }
}

/// Conversions between `Date` and Postgres' replication clock (microseconds since 2000-01-01 00:00:00 UTC).
public enum PostgresTime {
    /// Seconds from 1970-01-01 to 2000-01-01.
    public static let epochOffsetSeconds: Int64 = 946_684_800

    /// Microseconds since 2000-01-01 UTC for a date.
    public static func microseconds(since date: Date) -> Int64 {
        Int64(((date.timeIntervalSince1970 - Double(epochOffsetSeconds)) * 1_000_000).rounded())
    }

    /// The date for microseconds since 2000-01-01 UTC.
    public static func date(microseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(epochOffsetSeconds) + Double(microseconds) / 1_000_000)
    }
}
