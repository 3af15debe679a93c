import Hummingbird
import NIOCore
import StackProtocol
import Testing

@testable import StackSync

/// Collects what a session writes.
private struct CollectingWriter: ResponseBodyWriter {
    var written: [UInt8] = []
    mutating func write(_ buffer: ByteBuffer) async throws { written += buffer.readableBytesView }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

@Suite struct LineOutputTests {
    /// A download's lines go out whole and in order across many reused buffers, and once the burst ends the output
    /// holds no more than its initial reservation, however large the lines were.
    @Test func burstsReuseTheirBuffersAndIdleStreamsGiveThemBack() async throws {
        let limit = 16 << 10
        var output = LineOutput(limit: limit, counters: SyncCounters(), dataForm: .string)
        var body: any ResponseBodyWriter = CollectingWriter()
        var expected: [UInt8] = []
        for round in 0..<40 {
            let line = SyncLine.tokenExpiresIn(round)
            var single = JSONWriter()
            line.write(to: &single, dataForm: .string)
            single.newline()
            expected += single.bytes
            output.append(line)
            // A large line in between grows the writer past its reservation.
            if round % 10 == 3 {
                let big = SyncLine.tokenExpiresIn(Int.max - round)
                for _ in 0..<3000 {
                    var copy = JSONWriter()
                    big.write(to: &copy, dataForm: .string)
                    copy.newline()
                    expected += copy.bytes
                    output.append(big)
                }
            }
            try await output.flushIfFull(to: &body)
        }
        #expect(output.heldCapacity > limit + 4096, "the burst grew the writer")
        try await output.flush(to: &body)
        #expect(output.heldCapacity <= limit + 4096 + 64)
        let written = (body as! CollectingWriter).written
        #expect(written == expected)
    }
}
