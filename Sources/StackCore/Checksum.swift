import Crypto
import Foundation

/// A 32-bit PowerSync checksum: per op, or the wrapping sum of a bucket's ops.
///
/// The wire carries it signed or unsigned (the JS server's `(a + b) & 0xffffffff` yields signed int32),
/// as an integer or an integral double; decoding accepts all of them, encoding writes the unsigned form.
public struct Checksum: Sendable, Hashable, Codable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    /// The unsigned value.
    public var value: UInt32

    /// Creates a checksum from its unsigned value.
    public init(_ value: UInt32) {
        self.value = value
    }

    /// Creates a checksum from an integer literal (unsigned range).
    public init(integerLiteral value: UInt32) {
        self.value = value
    }

    /// Normalises any integer in `Int32.min ... UInt32.max`; nil outside that range.
    public init?(wire value: Int64) {
        guard value >= Int64(Int32.min), value <= Int64(UInt32.max) else { return nil }
        self.value = UInt32(truncatingIfNeeded: value)
    }

    /// The zero checksum (an empty bucket).
    public static let zero = Checksum(0)

    /// The same bits as a signed 32-bit integer (what the JS service prints for bucket sums).
    public var signed: Int32 { Int32(bitPattern: value) }

    /// The unsigned decimal text.
    public var description: String { String(value) }

    /// Wrapping 32-bit addition.
    public static func + (lhs: Checksum, rhs: Checksum) -> Checksum { Checksum(lhs.value &+ rhs.value) }

    /// Wrapping 32-bit subtraction.
    public static func - (lhs: Checksum, rhs: Checksum) -> Checksum { Checksum(lhs.value &- rhs.value) }

    /// Wrapping in-place addition.
    public static func += (lhs: inout Checksum, rhs: Checksum) { lhs = lhs + rhs }

    /// Wrapping in-place subtraction.
    public static func -= (lhs: inout Checksum, rhs: Checksum) { lhs = lhs - rhs }

    /// The wrapping sum of a sequence of checksums.
    public static func sum(_ checksums: some Sequence<Checksum>) -> Checksum {
        checksums.reduce(.zero, +)
    }

    /// Decodes u32, negative i32, or an integral double in that range.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let integer = try? container.decode(Int64.self) {
            guard let checksum = Checksum(wire: integer) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "checksum \(integer) is outside the 32-bit range")
            }
            self = checksum
            return
        }
        let double = try container.decode(Double.self)
        guard double.rounded() == double, abs(double) < 1e11, let checksum = Checksum(wire: Int64(double)) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "checksum \(double) is not a 32-bit integer")
        }
        self = checksum
    }

    /// Encodes the unsigned value.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

extension Checksum {
    /// The checksum of a PUT op: SHA-256 of `put.<object_type>.<object_id>.<data>`, first 4 bytes little-endian.
    ///
    /// `data` must be exactly the JSON text sent in the op, so the client's sums match the server's.
    public static func put(objectType: String, objectID: String, data: String) -> Checksum {
        // Hashed piece by piece: every replicated row passes through here, and its data can be large.
        var hasher = SHA256()
        var objectType = objectType
        var objectID = objectID
        // `put.<type>.<id>.` is gathered into one buffer first (on the stack unless it is large): each `update` call
        // costs more than the copy.
        objectType.withUTF8 { type in
            objectID.withUTF8 { id in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 6 + type.count + id.count) { head in
                    var at = 0
                    func copy(_ bytes: UnsafeBufferPointer<UInt8>) {
                        for byte in bytes {
                            head[at] = byte
                            at += 1
                        }
                    }
                    ("put." as StaticString).withUTF8Buffer(copy)
                    copy(type)
                    ("." as StaticString).withUTF8Buffer(copy)
                    copy(id)
                    ("." as StaticString).withUTF8Buffer(copy)
                    hasher.update(
                        bufferPointer: UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: head[..<at])))
                }
            }
        }
        update(&hasher, data)
        return prefix(of: hasher.finalize())
    }

    /// The checksum of a REMOVE op: SHA-256 of `delete.<subkey>`, first 4 bytes little-endian.
    public static func remove(subkey: String) -> Checksum {
        var hasher = SHA256()
        update(&hasher, "delete.")
        update(&hasher, subkey)
        return prefix(of: hasher.finalize())
    }

    /// The first four bytes of the SHA-256 of the UTF-8 text, little-endian.
    public static func hashPrefix(_ text: String) -> Checksum {
        var hasher = SHA256()
        update(&hasher, text)
        return prefix(of: hasher.finalize())
    }

    private static func update(_ hasher: inout SHA256, _ text: String) {
        var text = text
        text.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
    }

    private static func prefix(of digest: SHA256.Digest) -> Checksum {
        var value: UInt32 = 0
        for (index, byte) in digest.prefix(4).enumerated() {
            value |= UInt32(byte) << (8 * UInt32(index))
        }
        return Checksum(value)
    }
}
