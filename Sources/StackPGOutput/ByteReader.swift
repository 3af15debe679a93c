/// A bounds-checked big-endian reader over message bytes; every read throws instead of trapping.
struct ByteReader {
    private let bytes: [UInt8]
    /// Position of the next unread byte.
    private(set) var offset: Int
    /// What is being decoded, for error messages.
    let context: String

    /// Reads `bytes` from `offset`; `context` names the message in errors.
    init(_ bytes: [UInt8], offset: Int = 0, context: String) {
        self.bytes = bytes
        self.offset = offset
        self.context = context
    }

    /// Unread byte count.
    var remaining: Int { bytes.count - offset }

    /// Throws a truncation error unless `count` more bytes exist.
    mutating func require(_ count: Int, _ field: String) throws {
        guard count <= remaining else {
            throw PGOutputError.truncated(field, in: context, at: offset, needed: count, available: remaining)
        }
    }

    /// One byte.
    mutating func byte(_ field: String) throws -> UInt8 {
        try require(1, field)
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Big-endian UInt16.
    mutating func uint16(_ field: String) throws -> UInt16 {
        try require(2, field)
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    /// Big-endian UInt32.
    mutating func uint32(_ field: String) throws -> UInt32 {
        try require(4, field)
        var value: UInt32 = 0
        for index in offset..<offset + 4 {
            value = value << 8 | UInt32(bytes[index])
        }
        offset += 4
        return value
    }

    /// Big-endian UInt64.
    mutating func uint64(_ field: String) throws -> UInt64 {
        try require(8, field)
        var value: UInt64 = 0
        for index in offset..<offset + 8 {
            value = value << 8 | UInt64(bytes[index])
        }
        offset += 8
        return value
    }

    /// Big-endian Int16.
    mutating func int16(_ field: String) throws -> Int16 { Int16(bitPattern: try uint16(field)) }

    /// Big-endian Int32.
    mutating func int32(_ field: String) throws -> Int32 { Int32(bitPattern: try uint32(field)) }

    /// Big-endian Int64.
    mutating func int64(_ field: String) throws -> Int64 { Int64(bitPattern: try uint64(field)) }

    /// A 64-bit LSN.
    mutating func lsn(_ field: String) throws -> LSN { LSN(rawValue: try uint64(field)) }

    /// A NUL-terminated string (Postgres `String` in protocol docs).
    mutating func cString(_ field: String) throws -> String {
        guard let end = bytes[offset...].firstIndex(of: 0) else {
            throw PGOutputError.truncated(
                "\(field) (NUL-terminated string)", in: context, at: offset, needed: remaining + 1, available: remaining
            )
        }
        defer { offset = end + 1 }
        return String(decoding: bytes[offset..<end], as: UTF8.self)
    }

    /// `count` raw bytes.
    mutating func bytes(_ count: Int, _ field: String) throws -> ArraySlice<UInt8> {
        try require(count, field)
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    /// Everything not read yet.
    mutating func rest() -> [UInt8] {
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }

    /// Throws unless every byte was consumed.
    func expectEnd() throws {
        guard remaining == 0 else { throw PGOutputError.trailingBytes(remaining, in: context) }
    }
}
