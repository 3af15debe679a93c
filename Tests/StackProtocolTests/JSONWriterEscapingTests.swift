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

    /// A writer reset in the middle of an object writes the next value as a fresh writer would (no stray comma,
    /// no pending key), and keeps its capacity.
    @Test func resetStartsOverWithTheCapacityKept() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("a")
        writer.string(String(repeating: "x", count: 10_000))
        writer.key("b")
        let capacity = writer.bytes.capacity
        writer.reset()
        #expect(writer.bytes.isEmpty)
        #expect(writer.bytes.capacity == capacity)
        writer.beginArray()
        writer.integer(1)
        writer.string("two")
        writer.endArray()
        var fresh = JSONWriter()
        fresh.beginArray()
        fresh.integer(1)
        fresh.string("two")
        fresh.endArray()
        #expect(writer.bytes == fresh.bytes)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #"[1,"two"]"#)
    }
}
