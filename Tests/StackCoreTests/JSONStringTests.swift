import StackCore
import Testing

@Suite("JSON string literals")
struct JSONStringTests {
    @Test(
        "escapes as JSON.stringify does",
        arguments: [
            ("plain", #""plain""#),
            ("", #""""#),
            ("say \"hi\"", #""say \"hi\"""#),
            ("back\\slash", #""back\\slash""#),
            ("tab\tline\nreturn\r", #""tab\tline\nreturn\r""#),
            ("\u{08}\u{0C}\u{00}\u{1F}", #""\b\f\u0000\u001f""#),
            ("/ and ü and 🙂 stay", #""/ and ü and 🙂 stay""#),
            ("\u{7F}é\"", "\"\u{7F}é\\\"\""),
        ])
    func examples(text: String, expected: String) {
        #expect(JSONString.quoted(text) == expected)
    }

    @Test("appending writes after what is already there")
    func appends() {
        var output = "{"
        JSONString.append("k\"", to: &output)
        output += ":"
        JSONString.append("", to: &output)
        #expect(output == #"{"k\"":"""#)
    }

    @Test("agrees with a scalar-by-scalar escaper on random texts")
    func agreesWithReference() {
        let alphabet: [Unicode.Scalar] = [
            "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{08}", "\u{0C}", "\u{00}", "\u{01}", "\u{1B}",
            "\u{1F}", "\u{7F}", "é", "ß", "€", "中", "🙂", "\u{200B}",
        ]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<5_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            var text = String.UnicodeScalarView()
            for step in 0..<Int(state >> 58) {
                let pick = Int((state >> UInt64(step % 48)) & 0xFFFF) % alphabet.count
                text.append(alphabet[pick])
            }
            let string = String(text)
            #expect(JSONString.quoted(string) == Self.reference(string), "\(Array(string.unicodeScalars))")
        }
    }

    /// The obvious implementation, one scalar at a time.
    static func reference(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output + "\""
    }

    @Test("the byte writer escapes exactly as JSONString, wherever in a word the byte to escape falls")
    func writerMatchesStringEscaping() {
        var texts: [String] = ["", "a", "ü🙂 中 \u{7F}", String(repeating: "plain text ", count: 30)]
        for special in ["\"", "\\", "\n", "\t", "\u{00}", "\u{1F}", "\u{08}"] {
            for offset in 0..<20 {
                let before = String(repeating: "x", count: offset)
                texts.append(before + special)
                texts.append(before + special + "tail after the escape, longer than a word")
                texts.append("é" + before + special + special + before)
            }
        }
        for text in texts {
            var writer = JSONTextWriter()
            writer.raw("[")
            writer.quoted(text)
            writer.raw("]")
            #expect(writer.text == "[" + JSONString.quoted(text) + "]", "\(Array(text.utf8))")
        }
    }
}
