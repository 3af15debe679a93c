/// A PostgreSQL WAL position (log sequence number): a 64-bit byte offset into the write-ahead log.
public struct LSN: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The 64-bit WAL position.
    public var rawValue: UInt64

    /// The position `0/0`; `START_REPLICATION … 0/0` means "resume from the slot's confirmed position".
    public static let zero = LSN(rawValue: 0)

    /// Wraps a raw 64-bit WAL position.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Wraps a raw 64-bit WAL position.
    public init(_ rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Parses `16/B374D848` (Postgres) or `00000016/B374D848` (storage form); nil if not two hex halves of 1–8 digits.
    public init?(_ text: String) {
        let halves = text.split(separator: "/", omittingEmptySubsequences: false)
        guard halves.count == 2,
            let high = Self.parseHalf(halves[0]),
            let low = Self.parseHalf(halves[1])
        else { return nil }
        self.rawValue = UInt64(high) << 32 | UInt64(low)
    }

    /// Storage form: both halves uppercase and zero-padded to 8 digits, so string order equals LSN order.
    public var description: String {
        Self.paddedHex(UInt32(truncatingIfNeeded: rawValue >> 32)) + "/"
            + Self.paddedHex(UInt32(truncatingIfNeeded: rawValue))
    }

    /// Postgres' own short form, e.g. `16/B374D848`, as accepted by `START_REPLICATION`.
    public var postgresDescription: String {
        String(UInt32(truncatingIfNeeded: rawValue >> 32), radix: 16, uppercase: true) + "/"
            + String(UInt32(truncatingIfNeeded: rawValue), radix: 16, uppercase: true)
    }

    /// Orders by WAL position.
    public static func < (lhs: LSN, rhs: LSN) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    private static func parseHalf(_ text: Substring) -> UInt32? {
        // UInt32(_:radix:) would also accept a sign; only bare hex digits are an LSN half.
        guard (1...8).contains(text.utf8.count), text.allSatisfy(\.isHexDigit) else { return nil }
        return UInt32(text, radix: 16)
    }

    private static func paddedHex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
