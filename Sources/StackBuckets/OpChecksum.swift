import Crypto
import StackCore

/// PowerSync's per-op checksums (PROTOCOL §2.1) as the `UInt32` bucket storage keeps; computed by `StackCore.Checksum`.
public enum OpChecksum {
    /// Checksum of a PUT: `SHA256("put." + objectType + "." + objectID + "." + data)`.
    public static func put(objectType: String, objectID: String, data: String) -> UInt32 {
        Checksum.put(objectType: objectType, objectID: objectID, data: data).value
    }

    /// Checksum of a REMOVE: `SHA256("delete." + subkey)`; it depends on neither the bucket nor the data.
    public static func remove(subkey: String) -> UInt32 {
        Checksum.remove(subkey: subkey).value
    }

    /// First 4 bytes of SHA-256 over the UTF-8 text, little-endian.
    public static func hash(_ text: String) -> UInt32 {
        Checksum.hashPrefix(text).value
    }

    /// Wrapping 32-bit sum, the bucket checksum arithmetic.
    public static func add(_ lhs: UInt32, _ rhs: UInt32) -> UInt32 {
        (Checksum(lhs) + Checksum(rhs)).value
    }

    /// A sum of stored checksums (Postgres `SUM` of bigints) reduced to 32 bits.
    public static func reduce(_ sum: Int64) -> UInt32 {
        UInt32(truncatingIfNeeded: sum)
    }
}

/// The opaque per-source-row key clients use to match a REMOVE with the PUT it cancels (`subkey` on the wire).
public enum Subkey {
    /// `<source table>/<32 hex digits>`: the source table and a hash of the row's replica identity.
    public static func make(sourceTable: String, sourceKey: String) -> String {
        // PowerSync sends `<source table id>/<uuid of the identity>`; clients treat it as opaque text.
        // Every op of a download carries one, so the text is written byte by byte (not 32 `String(_:radix:)`s).
        let digest = SHA256.hash(data: Array(sourceKey.utf8))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(sourceTable.utf8.count + 33)
        bytes.append(contentsOf: sourceTable.utf8)
        bytes.append(UInt8(ascii: "/"))
        for byte in digest.prefix(16) {
            bytes.append(hexDigits[Int(byte >> 4)])
            bytes.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
