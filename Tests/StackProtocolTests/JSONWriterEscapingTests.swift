import Foundation
import StackCore
import Testing

@testable import StackProtocol

@Suite struct JSONWriterEscapingTests {
    static func quoted(_ text: String) -> String {
        var writer = JSONWriter()
        writer.string(text)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    @Test func escapesLikeJavaScript() {
        #expect(Self.quoted(#"{"a":"b\c"}"#) == #""{\"a\":\"b\\c\"}""#)
        #expect(Self.quoted("line\nbreak\ttab\r\u{08}\u{0C}") == #""line\nbreak\ttab\r\b\f""#)
        #expect(Self.quoted("\u{01}x\u{1F}") == #""\u0001x\u001f""#)
        #expect(Self.quoted("/ é 日本 🙂") == "\"/ é 日本 🙂\"")
        #expect(Self.quoted("") == "\"\"")
    }

    /// Whatever the input, the output parses back to the same string.
    @Test func roundTripsEveryByteClass() throws {
        var text = ""
        for scalar in (0..<0x80).compactMap(Unicode.Scalar.init) { text.unicodeScalars.append(scalar) }
        text += "é日🙂\"\\"
        let decoded = try JSONDecoder().decode(String.self, from: Data(Self.quoted(text).utf8))
        #expect(decoded == text)
    }
}
