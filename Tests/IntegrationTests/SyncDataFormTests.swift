import Foundation
import StackCore
import StackProtocol
import StackTesting
import Testing

/// PowerSync's `raw_data` flag over a real socket: `true` gets op data as a JSON string (what client cores send);
/// false or absent gets the legacy NDJSON form, the row's JSON object embedded, checksums as integers either way.
@Suite(.serialized) struct SyncDataFormTests {
    /// The ops of the data lines of one stream up to its first checkpoint_complete, as raw JSON objects.
    static func ops(_ stack: TestStack, _ request: StreamingSyncRequest) async throws -> (
        ops: [[String: Any]], lines: [ReceivedLine]
    ) {
        let stream = try await SyncStreamConnection.open(
            stack.endpoints.syncURL, token: SyncStreamTests.token("user-a", stack: stack), request: request)
        defer { stream.close() }
        #expect(stream.status == 200)
        let lines = try await stream.untilComplete().filter { if case .data = $0.line { true } else { false } }
        var ops: [[String: Any]] = []
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.text.utf8)) as? [String: Any])
            let batch = try #require(object["data"] as? [String: Any])
            ops += try #require(batch["data"] as? [[String: Any]])
        }
        return (ops, lines)
    }

    @Test func rawDataChoosesTheFormOfOpData() async throws {
        try await SyncStreamTests.withStack { stack in
            try await SyncStreamTests.sql(
                stack, #"INSERT INTO documents VALUES ('d1', 'say "hi"', 'user-a')"#)
            try await waitForOps(stack, atLeast: 1)
            let rowText = #"{"id":"d1","title":"say \"hi\""}"#

            let raw = try await Self.ops(stack, StreamingSyncRequest(rawData: true, clientID: "raw"))
            #expect(raw.ops.count == 1)
            #expect(raw.ops.first?["data"] as? String == rowText)
            #expect(raw.lines.first?.text.contains(#""data":"{\"id\":\"d1\""#) == true)
            let checksum = try #require(raw.ops.first?["checksum"] as? NSNumber)

            for (name, rawData) in [("false", false as Bool?), ("absent", nil)] {
                let legacy = try await Self.ops(
                    stack, StreamingSyncRequest(includeChecksum: nil, rawData: rawData, binaryData: nil, clientID: name)
                )
                #expect(legacy.ops.count == 1, "\(name)")
                let object = try #require(legacy.ops.first?["data"] as? [String: Any], "\(name): \(legacy.lines)")
                #expect(object["id"] as? String == "d1" && object["title"] as? String == #"say "hi""#, "\(name)")
                // The row's exact text, embedded: its checksum still matches what a client computes from it.
                #expect(
                    legacy.lines.first?.text.contains(#""data":\#(rowText),"checksum":\#(checksum)"#) == true, "\(name)"
                )
                #expect(legacy.ops.first?["checksum"] as? NSNumber == checksum, "\(name)")
                // Stack's own decoder reads the legacy form back to the same op.
                guard case .data(let batch) = legacy.lines.first?.line else {
                    Issue.record("\(name): not a data line")
                    continue
                }
                #expect(
                    batch.data.first?.data == rowText
                        && batch.data.first.map { Int64($0.checksum.value) } == checksum.int64Value)
            }
        }
    }
}
