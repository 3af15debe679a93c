import Foundation
import StackCore
import StackProtocol
import Testing

@Suite struct SyncLineGoldenTests {
    @Test func canonicalLinesRoundTripByteIdentically() throws {
        for line in try Fixture.lines("sync_lines.ndjson") {
            let decoded = try SyncLine.decode(line)
            #expect(String(decoding: decoded.ndjson(), as: UTF8.self) == String(decoding: line + [0x0A], as: UTF8.self))
        }
    }

    @Test func checkpointFieldsDecode() throws {
        let lines = try Fixture.lines("sync_lines.ndjson").map { try SyncLine.decode($0) }
        guard case .checkpoint(let checkpoint) = lines[0] else { Issue.record("not a checkpoint"); return }
        #expect(checkpoint.lastOpID == OpID(2))
        #expect(checkpoint.writeCheckpoint == OpID(7))
        #expect(checkpoint.buckets[0].checksum == Checksum(2_582_164_875))
        #expect(checkpoint.buckets[0].priority == 0)
        #expect(checkpoint.buckets[0].subscriptions == [.subscription(0)])
        guard case .checkpointDiff(let diff) = lines[1] else { Issue.record("not a diff"); return }
        #expect(diff.removedBuckets == ["b"])
        #expect(diff.updatedBuckets[0].subscriptions == [.defaultStream(0)])
        guard case .data(let batch) = lines[2] else { Issue.record("not data"); return }
        #expect(batch.data[0].op == .put)
        #expect(batch.data[0].data == #"{"id":"a","description":"Test 1"}"#)
        #expect(lines[3] == .checkpointComplete(CheckpointComplete(lastOpID: 2)))
        #expect(lines[4] == .partialCheckpointComplete(PartialCheckpointComplete(lastOpID: 2, priority: 0)))
        #expect(lines[5] == .tokenExpiresIn(1234))
        guard case .checkpoint(let big) = lines[6] else { Issue.record("not a checkpoint"); return }
        #expect(big.lastOpID == OpID(Int64.max))
        guard case .data(let ops) = lines[7] else { Issue.record("not data"); return }
        #expect(ops.data.map(\.op) == [.remove, .move, .clear])
        #expect(ops.data[0].checksum == Checksum(UInt32.max))
        #expect(ops.hasMore)
    }

    @Test func lenientFormsDecode() throws {
        let lines = try Fixture.lines("lenient_lines.ndjson").map { try SyncLine.decode($0) }
        guard case .checkpoint(let first) = lines[0], case .checkpoint(let second) = lines[1] else {
            Issue.record("not checkpoints")
            return
        }
        #expect(first.writeCheckpoint == nil)
        #expect(first.buckets[0].priority == BucketChecksum.defaultPriority)
        #expect(first.buckets[0].count == 0)
        #expect(second.buckets[0].checksum == first.buckets[0].checksum)
        guard case .data(let batch) = lines[2] else { Issue.record("not data"); return }
        #expect(batch.data[0].data == #"{"id":"a"}"#)
        #expect(batch.data[0].checksum == Checksum(2_582_164_875))
        #expect(batch.data[0].subkey == nil)
        #expect(lines[3] == .unknown(key: "some_future_line"))
        #expect(lines[4] == .tokenExpiresIn(30))
    }

    @Test func malformedLinesAreRejected() {
        for text in [#"{"checkpoint":{"last_op_id":"x","buckets":[]}}"#, #"{"data":{"bucket":"a"}}"#, "[1]",
            #"{"checkpoint":{"last_op_id":"1","buckets":[{"bucket":"a","checksum":4294967296}]}}"#]
        {
            #expect(throws: (any Error).self) { try SyncLine.decode(Array(text.utf8)) }
        }
    }

    @Test func perOpChecksumsMatchTheService() {
        // Verified value from the service's storage snapshot (PROTOCOL §2.1).
        let put = Checksum.put(objectType: "test", objectID: "a", data: #"{"id":"a","description":"Test 1"}"#)
        #expect(put.value == 2_582_164_875)
        #expect(put.signed == -1_712_802_421)
        let entry = OplogEntry.put(opID: 1, objectType: "test", objectID: "a", data: #"{"id":"a","description":"Test 1"}"#, subkey: nil)
        #expect(entry.checksum == put)
        #expect(Checksum.remove(subkey: "x") == Checksum.remove(subkey: "x"))
        #expect(Checksum.remove(subkey: "x") != Checksum.remove(subkey: "y"))
    }

    @Test func checksumSumsWrap() {
        #expect(Checksum(UInt32.max) + Checksum(2) == Checksum(1))
        #expect(Checksum.sum([Checksum(2_582_164_875), Checksum(2_582_164_875)]).value == 869_362_454)
        #expect(Checksum(wire: -1) == Checksum(UInt32.max))
        #expect(Checksum(wire: Int64(UInt32.max) + 1) == nil)
        #expect(Checksum(1) - Checksum(2) == Checksum(UInt32.max))
    }

    @Test func requestEncodesLikeTheRustCore() throws {
        let text = try Fixture.data("request.json")
        let request = try JSONDecoder().decode(StreamingSyncRequest.self, from: text)
        #expect(request.positions == ["1#user_data[\"u1\"]": OpID(42)])
        #expect(request.clientID == "c0ffee")
        #expect(request.jsonBytes() == Array(text))
        let extra = #"{"buckets":[{"name":"a","after":"1"}],"only":["x"],"unknown_field":{"a":1}}"#
        let lenient = try JSONDecoder().decode(StreamingSyncRequest.self, from: Data(extra.utf8))
        #expect(lenient.buckets?.first?.after == OpID(1))
        #expect(lenient.rawData == nil)
    }
}
