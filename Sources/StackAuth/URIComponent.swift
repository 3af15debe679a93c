/// JavaScript's `encodeURIComponent` / `decodeURIComponent`, which better-call applies to cookie values.
enum URIComponent {
    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// Percent-encodes every UTF-8 byte except `A-Z a-z 0-9 - _ . ! ~ * ' ( )`.
    static func encode(_ text: String) -> String {
        var out = [UInt8]()
        for byte in text.utf8 {
            if isUnreserved(byte) {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0f)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `%XX` escapes; returns `text` unchanged when an escape or the UTF-8 is malformed (better-call's
    /// `tryDecode`).
    static func decodeOrKeep(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        let bytes = Array(text.utf8)
        var out = [UInt8]()
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%") {
                guard index + 2 < bytes.count,
                    let value = ByteEncoding.bytes(
                        fromHex: String(decoding: bytes[index + 1...index + 2], as: UTF8.self))
                else { return text }
                out += value
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(validating: out, as: UTF8.self) ?? text
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "-_.!~*'()".utf8.contains(byte)
        }
    }
}
