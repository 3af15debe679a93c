import StackCore
import StackProtocol
import Testing

/// Op data on the wire: a JSON string (`raw_data: true`) or the row's object itself (legacy NDJSON).
@Suite struct OpDataFormTests {
    static let line = SyncLine.data(
        SyncDataBatch(
            bucket: "b", after: OpID(0), nextAfter: OpID(2), hasMore: false,
            data: [
                OplogEntry(
                    opID: OpID(1), op: .put, objectType: "t", objectID: "a", data: #"{"id":"a","n":9007199254740993}"#,
                    checksum: Checksum(4_000_000_000), subkey: "s"),
                OplogEntry(opID: OpID(2), op: .put, objectType: "t", objectID: "b", data: "not an object", checksum: 1),
            ]))

    static func text(_ form: OpDataForm) -> String {
        var writer = JSONWriter()
        line.write(to: &writer, dataForm: form)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    @Test func requestFlagPicksTheForm() {
        #expect(OpDataForm(rawData: true) == .string)
        #expect(OpDataForm(rawData: false) == .object)
        #expect(OpDataForm(rawData: nil) == .object)
    }

    @Test func legacyFormEmbedsTheRowTextAsItIs() throws {
        #expect(Self.text(.string).contains(#""data":"{\"id\":\"a\",\"n\":9007199254740993}","checksum":4000000000"#))
        let legacy = Self.text(.object)
        // Big integers stay exact: the text is copied, not re-encoded through Double.
        #expect(legacy.contains(#""data":{"id":"a","n":9007199254740993},"checksum":4000000000"#), "\(legacy)")
        // Data that is not an object's text stays a string, so the line is valid JSON whatever storage holds.
        #expect(legacy.contains(#""data":"not an object""#))
        #expect(try SyncLine.decode(Array(legacy.utf8)) == Self.line)
    }
}
