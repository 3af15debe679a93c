import StackPostgres
import Testing

@Suite("COPY text reader")
struct CopyTextReaderTests {
    private func rows(_ text: String, columns: Int) throws -> [[String?]] {
        var read: [[String?]] = []
        try CopyTextReader(Array(text.utf8)).forEachRow(columns: columns) { read.append($0) }
        return read
    }

    @Test("reads back what CopyTextRows writes, NULL and every escaped byte included")
    func roundTrip() throws {
        let texts: [String?] = [
            "plain", "", nil, "tab\there", "line\nbreak", "carriage\rreturn", "back\\slash", "\\N", "\\", "ü 🙂 中",
            "ends with backslash\\", "{\"json\":\"a\\\"b\"}", String(repeating: "x", count: 5_000),
        ]
        var encoded = CopyTextRows(capacity: 16)
        for (position, text) in texts.enumerated() {
            encoded.append(position)
            encoded.append(text)
            encoded.endRow()
        }
        var read: [[String?]] = []
        try CopyTextReader(Array(encoded.buffer.readableBytesView)).forEachRow(columns: 2) { read.append($0) }
        #expect(read.map { $0[0] } == texts.indices.map { String($0) })
        #expect(read.map { $0[1] } == texts)
    }

    @Test("the escapes Postgres writes and the octal and hex forms COPY accepts")
    func escapes() throws {
        let read = try rows(#"a\bb\fc\vd\101\x41\x4a\7\q\\N"# + "\t" + #"\N"# + "\n", columns: 2)
        #expect(read == [["a\u{8}b\u{C}c\u{B}dAAJ\u{7}q\\N", nil]])
    }

    @Test("an empty text is not NULL, and no data is no rows")
    func emptyField() throws {
        #expect(try rows("\t\n", columns: 2) == [["", ""]])
        #expect(try rows("", columns: 3).isEmpty)
    }

    @Test("a row with the wrong number of fields, or cut off, is refused with its number")
    func malformed() throws {
        #expect(throws: CopyTextReader.Malformed.self) { try rows("a\tb\nc\n", columns: 2) }
        do {
            _ = try rows("a\tb\nc\td", columns: 2)
            Issue.record("a row without its newline was accepted")
        } catch let error as CopyTextReader.Malformed {
            #expect(error.row == 2)
            #expect(error.description.contains("ends inside the row"))
        }
    }
}
