import StackProtocol
import Testing

@Suite struct NDJSONSplitterTests {
    @Test func splitsAcrossArbitraryChunkBoundaries() throws {
        let lines: [SyncLine] = [
            .tokenExpiresIn(5), .checkpointComplete(CheckpointComplete(lastOpID: 3)),
            .partialCheckpointComplete(PartialCheckpointComplete(lastOpID: 3, priority: 1)),
        ]
        let stream = lines.flatMap { $0.ndjson() }
        for chunkSize in 1...stream.count {
            var reader = SyncLineReader()
            var decoded: [SyncLine] = []
            var offset = 0
            while offset < stream.count {
                let end = min(offset + chunkSize, stream.count)
                decoded += try reader.push(stream[offset..<end])
                offset = end
            }
            #expect(try reader.finish() == nil)
            #expect(decoded == lines)
        }
    }

    @Test func handlesCRLFEmptyLinesAndAMissingFinalNewline() throws {
        var splitter = NDJSONSplitter()
        let lines = try splitter.push(Array("{\"a\":1}\r\n\n\n{\"b\":2}\n{\"c\"".utf8))
        #expect(lines.map { String(decoding: $0, as: UTF8.self) } == [#"{"a":1}"#, #"{"b":2}"#])
        #expect(splitter.bufferedByteCount == 4)
        #expect(try splitter.push(Array(":3}".utf8)).isEmpty)
        #expect(try splitter.finish().map { String(decoding: $0, as: UTF8.self) } == #"{"c":3}"#)
        #expect(try splitter.finish() == nil)
    }

    @Test func aChunkWithoutContiguousStorageIsSplitTheSameWay() throws {
        var splitter = NDJSONSplitter()
        let chunk = Array("{\"a\":1}\n{\"b\"".utf8).lazy.map { $0 }  // no contiguous storage to scan in place
        #expect(chunk.withContiguousStorageIfAvailable { _ in true } == nil)
        #expect(try splitter.push(chunk).map { String(decoding: $0, as: UTF8.self) } == [#"{"a":1}"#])
        #expect(try splitter.push(Array(":2}\n".utf8)).map { String(decoding: $0, as: UTF8.self) } == [#"{"b":2}"#])
    }

    @Test func refusesOverlongLines() {
        var splitter = NDJSONSplitter(maxLineBytes: 8)
        #expect(throws: ProtocolError.lineTooLong(limit: 8)) { _ = try splitter.push(Array("0123456789".utf8)) }
        var reader = SyncLineReader()
        #expect(throws: ProtocolError.self) { _ = try reader.push(Array("not json\n".utf8)) }
    }
}
