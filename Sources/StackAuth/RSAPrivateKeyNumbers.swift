/// The eight integers of a PKCS#1 `RSAPrivateKey` (RFC 8017 A.1.2), unsigned big-endian without leading zeros,
/// read from the DER that swift-crypto exports; swift-crypto has no accessor for the private CRT values.
struct RSAPrivateKeyNumbers: Equatable {
    var modulus: [UInt8]
    var publicExponent: [UInt8]
    var privateExponent: [UInt8]
    var prime1: [UInt8]
    var prime2: [UInt8]
    var exponent1: [UInt8]
    var exponent2: [UInt8]
    var coefficient: [UInt8]

    /// Parses `RSAPrivateKey ::= SEQUENCE { version, n, e, d, p, q, dp, dq, qi, ... }`; nil if malformed.
    init?(pkcs1DER der: [UInt8]) {
        var reader = DERReader(bytes: der[...])
        guard var sequence = reader.read(tag: 0x30).map({ DERReader(bytes: $0) }) else { return nil }
        var integers: [[UInt8]] = []
        for _ in 0..<9 {
            guard let value = sequence.read(tag: 0x02) else { return nil }
            integers.append(Array(value.drop { $0 == 0 }))
        }
        guard integers[0].isEmpty else { return nil }  // version 0: two-prime keys only
        (modulus, publicExponent, privateExponent) = (integers[1], integers[2], integers[3])
        (prime1, prime2, exponent1, exponent2, coefficient) =
            (integers[4], integers[5], integers[6], integers[7], integers[8])
    }
}

/// Reads definite-length DER TLVs.
private struct DERReader {
    var bytes: ArraySlice<UInt8>

    /// The contents of the next element if its tag is `tag`.
    mutating func read(tag: UInt8) -> ArraySlice<UInt8>? {
        guard bytes.first == tag, bytes.count >= 2 else { return nil }
        var index = bytes.startIndex + 1
        var length = Int(bytes[index])
        index += 1
        if length & 0x80 != 0 {
            let lengthBytes = length & 0x7f
            guard (1...4).contains(lengthBytes), bytes.endIndex - index >= lengthBytes else { return nil }
            length = bytes[index..<index + lengthBytes].reduce(0) { $0 << 8 | Int($1) }
            index += lengthBytes
        }
        guard bytes.endIndex - index >= length else { return nil }
        let contents = bytes[index..<index + length]
        bytes = bytes[(index + length)...]
        return contents
    }
}
