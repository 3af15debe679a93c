/// A JSON document as a tree that keeps key order, duplicate keys and number text exactly as generated,
/// so mutants can hold what a JSON library would refuse to build (`1e999`, duplicate keys, lone surrogates).
public indirect enum FuzzJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number as written, possibly out of range (`99999999999999999999`).
    case number(String)
    /// A string, written with escapes for `"`, `\` and control characters.
    case string(String)
    /// A string written verbatim between quotes (may contain raw escapes such as `\ud800`).
    case rawString(String)
    case array([FuzzJSON])
    case object([(String, FuzzJSON)])

    /// An integer number.
    public static func int(_ value: some BinaryInteger) -> FuzzJSON { .number("\(value)") }

    public static func == (lhs: FuzzJSON, rhs: FuzzJSON) -> Bool { lhs.text == rhs.text }

    /// The JSON text.
    public var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    /// The JSON text as UTF-8.
    public var bytes: [UInt8] { Array(text.utf8) }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .number(let text): out += text
        case .string(let text): Self.quote(text, into: &out)
        case .rawString(let text): out += "\"" + text + "\""
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out += "," }
                Self.quote(key, into: &out)
                out += ":"
                value.write(to: &out)
            }
            out += "}"
        }
    }

    private static func quote(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    // MARK: - Generation

    /// Odd but valid-looking numbers: huge, negative, fractional, out of range for 64 bits.
    public static let oddNumbers = [
        "0", "-1", "1", "1.5", "-0", "1e3", "1E+2", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "-9223372036854775809", "18446744073709551616", "99999999999999999999999999999",
        "1e308", "1e309", "-1e309", "5e-324", "1e-400", "0.1e1", "123456789.123456789", "1e19", "9.3e18", "-9.2e18",
        "4294967296", "2147483648", "1e10", "1e13", "10000000000000", "-10000000000000",
    ]

    /// Odd strings: empty, NUL, control characters, lone surrogates, long, non-ASCII, SQL and path text.
    public static func oddString(using random: inout FuzzRandom) -> FuzzJSON {
        switch random.int(0..<10) {
        case 0: return .string("")
        case 1: return .string("a\u{0}b")
        case 2: return .rawString(random.pick(["\\ud800", "\\udfff\\ud800", "\\u0000", "\\uZZZZ", "\\x41", "\\"]))
        case 3: return .string(String(repeating: random.pick(["a", "é", "💥", "\u{7}"]), count: random.int(1_000...20_000)))
        case 4: return .string(random.pick(["'; DROP TABLE documents; --", "\"id\"", "../../etc/passwd", "%00", "${HOME}"]))
        case 5: return .string(random.pick(["2024-05-01T12:00:00Z", "2024-13-45", "0000-00-00 00:00:00", "9999-12-31T23:59:60+14:00"]))
        case 6: return .string(random.pick(["{\"a\":1}", "[1,2", "null", "true", "1e999", "-"]))
        case 7: return .string(random.pick(oddNumbers))
        case 8: return .string(String((0..<random.int(1...40)).map { _ in Character(Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &random))) }))
        default: return .string(random.pick(["PUT", "PATCH", "DELETE", "put", "GET", "documents", "notes", "id", "owner_id"]))
        }
    }

    /// A random value of any type, nesting at most `depth` levels.
    public static func random(depth: Int, using random: inout FuzzRandom) -> FuzzJSON {
        let kind = depth <= 0 ? random.int(0..<4) : random.int(0..<6)
        switch kind {
        case 0: return .null
        case 1: return .bool(random.chance(50))
        case 2: return .number(random.pick(oddNumbers))
        case 3: return oddString(using: &random)
        case 4: return .array((0..<random.int(0...4)).map { _ in Self.random(depth: depth - 1, using: &random) })
        default:
            let keys = ["id", "op", "table", "data", "op_id", "ops", "name", "after", "a", "", "__proto__", "type"]
            return .object(
                (0..<random.int(0...4)).map { _ in (random.pick(keys), Self.random(depth: depth - 1, using: &random)) })
        }
    }

    /// `[[[…]]]` or `{"a":{"a":…}}` nested `depth` levels.
    public static func nested(_ depth: Int, objects: Bool) -> FuzzJSON {
        var value = FuzzJSON.null
        for _ in 0..<depth { value = objects ? .object([("a", value)]) : .array([value]) }
        return value
    }

    // MARK: - Mutation

    /// This document with one to three structural mutations: a node swapped for a value of another type, a
    /// member removed, duplicated or added, a huge number, a long string, deep nesting.
    public func mutated(using random: inout FuzzRandom) -> FuzzJSON {
        var result = self
        for _ in 0..<random.int(1...3) {
            let count = result.nodeCount
            result = result.replacing(node: random.int(0..<count), using: &random)
        }
        return result
    }

    /// Nodes in the tree (pre-order), including this one.
    public var nodeCount: Int {
        switch self {
        case .array(let items): 1 + items.reduce(0) { $0 + $1.nodeCount }
        case .object(let members): 1 + members.reduce(0) { $0 + $1.1.nodeCount }
        default: 1
        }
    }

    private func replacing(node target: Int, using random: inout FuzzRandom) -> FuzzJSON {
        var counter = target
        return replacing(&counter, using: &random)
    }

    private func replacing(_ counter: inout Int, using random: inout FuzzRandom) -> FuzzJSON {
        if counter == 0 {
            counter = -1
            return mutateNode(using: &random)
        }
        counter -= 1
        switch self {
        case .array(let items):
            var out: [FuzzJSON] = []
            for item in items {
                out.append(counter >= 0 ? item.replacing(&counter, using: &random) : item)
            }
            return .array(out)
        case .object(let members):
            var out: [(String, FuzzJSON)] = []
            for (key, value) in members {
                out.append((key, counter >= 0 ? value.replacing(&counter, using: &random) : value))
            }
            return .object(out)
        default:
            return self
        }
    }

    private func mutateNode(using random: inout FuzzRandom) -> FuzzJSON {
        switch random.int(0..<10) {
        case 0, 1:  // type swap
            return Self.random(depth: 2, using: &random)
        case 2: return .number(random.pick(Self.oddNumbers))
        case 3: return Self.oddString(using: &random)
        case 4: return Self.nested(random.int(50...2_000), objects: random.chance(50))
        case 5:
            guard case .object(var members) = self, !members.isEmpty else { return .array([self]) }
            members.remove(at: random.int(0..<members.count))
            return .object(members)
        case 6:
            guard case .object(var members) = self, !members.isEmpty else { return .object([("value", self)]) }
            let member = random.pick(members)
            members.append((member.0, Self.random(depth: 1, using: &random)))
            return .object(members)
        case 7:
            guard case .array(var items) = self, !items.isEmpty else { return .null }
            let item = random.pick(items)
            // Many copies only of small items: the point is a long list, not a huge document.
            let repeats = random.int(2...(random.chance(20) && item.text.utf8.count < 100 ? 2_000 : 5))
            items += Array(repeating: item, count: repeats)
            return .array(items)
        case 8:
            guard case .object(var members) = self else { return .string("\(text.prefix(20))") }
            members.append((String(describing: random.int(0...9)), Self.random(depth: 1, using: &random)))
            return .object(members)
        default:
            return .null
        }
    }
}
