import StackCore

/// A direct decoder for `data` lines, the bulk of a download: one pass over the bytes, no `JSONDecoder`.
///
/// It accepts the canonical shape (`JSONWriter`'s and PowerSync's): known keys, op ids as digit strings, integer
/// checksums, `data` as a JSON string. Anything else (an unknown or repeated key, a legacy embedded `data` object,
/// a number where a string is expected, invalid JSON or UTF-8) makes it return nil, and the caller decodes the
/// line with `JSONDecoder`, which then gives the same value or a precise error. So it never decides a result the
/// general decoder would decide differently; it only decides faster.
public enum DataLineDecoder {
    /// The line as `.data(…)`, or nil when it is not a canonical data line.
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> SyncLine? {
        var parser = Parser(bytes: bytes)
        return parser.line()
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0
        // Unescaped bytes of the string being read (reused).
        var scratch: [UInt8] = []

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        mutating func line() -> SyncLine? {
            guard consume("{"), key() == "data", let batch = batch(), consume("}") else { return nil }
            skipWhitespace()
            return position == bytes.count ? .data(batch) : nil
        }

        mutating func batch() -> SyncDataBatch? {
            guard consume("{") else { return nil }
            var bucket: String?
            var after: OpID??
            var nextAfter: OpID??
            var hasMore: Bool??
            var entries: [OplogEntry]?
            if consume("}") { return nil }
            repeat {
                switch key() {
                case "bucket" where bucket == nil:
                    bucket = string()
                    if bucket == nil { return nil }
                case "after" where after == nil:
                    guard let value = optionalOpID() else { return nil }
                    after = value
                case "next_after" where nextAfter == nil:
                    guard let value = optionalOpID() else { return nil }
                    nextAfter = value
                case "has_more" where hasMore == nil:
                    guard let value = optionalBool() else { return nil }
                    hasMore = value
                case "data" where entries == nil:
                    entries = oplogEntries()
                    if entries == nil { return nil }
                default:
                    return nil
                }
            } while consume(",")
            guard consume("}"), let bucket, let entries else { return nil }
            let start = (after ?? nil) ?? .zero
            return SyncDataBatch(
                bucket: bucket, after: start, nextAfter: (nextAfter ?? nil) ?? entries.last?.opID ?? start,
                hasMore: (hasMore ?? nil) ?? false, data: entries)
        }

        mutating func oplogEntries() -> [OplogEntry]? {
            guard consume("[") else { return nil }
            var entries: [OplogEntry] = []
            if consume("]") { return entries }
            repeat {
                guard let entry = oplogEntry() else { return nil }
                entries.append(entry)
            } while consume(",")
            return consume("]") ? entries : nil
        }

        mutating func oplogEntry() -> OplogEntry? {
            guard consume("{") else { return nil }
            var opID: OpID?
            var op: OpType?
            var objectType: String??
            var objectID: String??
            var data: String??
            var checksum: Checksum?
            var subkey: String??
            if consume("}") { return nil }
            repeat {
                switch key() {
                case "op_id" where opID == nil:
                    guard let value = optionalOpID(), let value else { return nil }
                    opID = value
                case "op" where op == nil:
                    guard let text = string(), let value = OpType(rawValue: text) else { return nil }
                    op = value
                case "object_type" where objectType == nil:
                    guard let value = optionalString() else { return nil }
                    objectType = value
                case "object_id" where objectID == nil:
                    guard let value = optionalString() else { return nil }
                    objectID = value
                case "data" where data == nil:
                    guard let value = optionalString() else { return nil }
                    data = value
                case "checksum" where checksum == nil:
                    guard let value = integer(), let wire = Checksum(wire: value) else { return nil }
                    checksum = wire
                case "subkey" where subkey == nil:
                    guard let value = optionalString() else { return nil }
                    subkey = value
                default:
                    return nil
                }
            } while consume(",")
            guard consume("}"), let opID, let op, let checksum else { return nil }
            return OplogEntry(
                opID: opID, op: op, objectType: objectType ?? nil, objectID: objectID ?? nil, data: data ?? nil,
                checksum: checksum, subkey: subkey ?? nil)
        }

        // MARK: values

        /// A key and its colon.
        mutating func key() -> String? {
            guard let name = string(), consume(":") else { return nil }
            return name
        }

        /// `"digits"` or null (outer nil: not one of them).
        mutating func optionalOpID() -> OpID?? {
            if consumeLiteral("null") { return .some(nil) }
            guard let text = string(), let id = OpID(text) else { return nil }
            return .some(id)
        }

        mutating func optionalBool() -> Bool?? {
            if consumeLiteral("true") { return .some(true) }
            if consumeLiteral("false") { return .some(false) }
            if consumeLiteral("null") { return .some(nil) }
            return nil
        }

        mutating func optionalString() -> String?? {
            if consumeLiteral("null") { return .some(nil) }
            guard let text = string() else { return nil }
            return .some(text)
        }

        /// A JSON integer without fraction or exponent that fits in 64 bits.
        mutating func integer() -> Int64? {
            skipWhitespace()
            var index = position
            let negative = index < bytes.count && bytes[index] == UInt8(ascii: "-")
            if negative { index += 1 }
            let digitsStart = index
            var magnitude: UInt64 = 0
            while index < bytes.count, bytes[index] &- 0x30 < 10 {
                let (times, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times.addingReportingOverflow(UInt64(bytes[index] &- 0x30))
                if overflow1 || overflow2 { return nil }
                magnitude = sum
                index += 1
            }
            let digits = index - digitsStart
            guard digits > 0, digits == 1 || bytes[digitsStart] != 0x30 else { return nil }
            if index < bytes.count,
                bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: "e")
                    || bytes[index] == UInt8(ascii: "E")
            {
                return nil
            }
            // "-0" is left to the general decoder.
            guard magnitude <= UInt64(Int64.max), !(negative && magnitude == 0) else { return nil }
            position = index
            return negative ? -Int64(magnitude) : Int64(magnitude)
        }

        /// A JSON string, unescaped and valid UTF-8.
        mutating func string() -> String? {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { return nil }
            let start = position + 1
            let end = plainRun(from: start)
            guard end < bytes.count else { return nil }
            if bytes[end] == UInt8(ascii: "\"") {
                position = end + 1
                return Self.text(UnsafeBufferPointer(rebasing: bytes[start..<end]))
            }
            return escapedString(start: start, firstSpecial: end)
        }

        /// The end of the bytes from `index` that need no unescaping: the next quote, backslash or control byte.
        func plainRun(from index: Int) -> Int {
            JSONStringScan.firstSpecial(in: bytes, from: index)
        }

        // Copies the plain runs in bulk and decodes each escape between them.
        mutating func escapedString(start: Int, firstSpecial: Int) -> String? {
            scratch.removeAll(keepingCapacity: true)
            var runStart = start
            var index = firstSpecial
            while true {
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                guard index < bytes.count else { return nil }
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    position = index + 1
                    return scratch.withUnsafeBufferPointer { Self.text($0) }
                }
                guard byte == UInt8(ascii: "\\"), index + 1 < bytes.count else { return nil }
                let escaped = bytes[index + 1]
                index += 2
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(escaped)
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0C)
                case UInt8(ascii: "n"): scratch.append(0x0A)
                case UInt8(ascii: "r"): scratch.append(0x0D)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"):
                    guard let unit = hex4(at: index) else { return nil }
                    index += 4
                    var scalarValue = UInt32(unit)
                    if (0xD800..<0xDC00).contains(unit) {
                        // A high surrogate must be followed by an escaped low one.
                        guard index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"),
                            bytes[index + 1] == UInt8(ascii: "u"), let low = hex4(at: index + 2),
                            (0xDC00..<0xE000).contains(low)
                        else { return nil }
                        index += 6
                        scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(scalarValue) else { return nil }
                    scratch.append(contentsOf: UTF8.encode(scalar)!)
                default:
                    return nil
                }
                runStart = index
                index = plainRun(from: index)
            }
        }

        /// The bytes as a string; nil when they are not valid UTF-8.
        static func text(_ utf8: UnsafeBufferPointer<UInt8>) -> String? {
            // ASCII (nearly all of it) needs no validation; the rest is validated.
            var bits: UInt8 = 0
            for byte in utf8 { bits |= byte }
            return bits < 0x80 ? String(decoding: utf8, as: UTF8.self) : String(validating: utf8, as: UTF8.self)
        }

        func hex4(at index: Int) -> UInt16? {
            guard index + 4 <= bytes.count else { return nil }
            var value: UInt16 = 0
            for offset in 0..<4 {
                let byte = bytes[index + offset]
                let digit: UInt8
                switch byte {
                case 0x30...0x39: digit = byte - 0x30
                case 0x41...0x46: digit = byte - 0x41 + 10
                case 0x61...0x66: digit = byte - 0x61 + 10
                default: return nil
                }
                value = value << 4 | UInt16(digit)
            }
            return value
        }

        // MARK: tokens

        mutating func skipWhitespace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0A, 0x0D: position += 1
                default: return
                }
            }
        }

        /// Consumes one structural character (after whitespace) if it is next.
        mutating func consume(_ character: Unicode.Scalar) -> Bool {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: character) else { return false }
            position += 1
            return true
        }

        /// Consumes `true`, `false` or `null` (after whitespace) if it is next.
        mutating func consumeLiteral(_ literal: StaticString) -> Bool {
            skipWhitespace()
            let matches = literal.withUTF8Buffer { expected in
                position + expected.count <= bytes.count
                    && (0..<expected.count).allSatisfy { bytes[position + $0] == expected[$0] }
            }
            let count = literal.utf8CodeUnitCount
            if matches { position += count }
            return matches
        }
    }
}
