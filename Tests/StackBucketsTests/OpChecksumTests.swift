import Foundation
import StackBuckets
import Testing

@Suite struct OpChecksumTests {
    @Test func putMatchesPowerSyncSnapshotValue() {
        // PROTOCOL §2.1: the service's storage test snapshot expects 2582164875 for this op.
        #expect(
            OpChecksum.put(objectType: "test", objectID: "a", data: #"{"id":"a","description":"Test 1"}"#)
                == 2_582_164_875)
    }

    @Test func valuesComputedWithPythonHashlib() {
        // struct.unpack('<I', hashlib.sha256(text.encode()).digest()[:4])[0]
        #expect(OpChecksum.remove(subkey: "public.documents/00") == 3_820_658_887)
        #expect(
            OpChecksum.put(objectType: "documents", objectID: "d1", data: #"{"id":"d1","title":"é ☃"}"#)
                == 2_157_357_473)
    }

    @Test func agreesWithPythonOnRandomTexts() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { return }
        let texts = (0..<20).map { index in "put.t\(index).\(UUID().uuidString).{\"v\":\"\(index * 7919)ü\"}" }
        let script = """
            import hashlib, struct, sys
            for line in sys.stdin.read().split("\\n"):
                if line: print(struct.unpack('<I', hashlib.sha256(line.encode()).digest()[:4])[0])
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(texts.joined(separator: "\n").utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let expected = String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { UInt32($0) }
        #expect(expected == texts.map(OpChecksum.hash))
    }

    @Test func putHashesTheWholeTextForShortAndLongIdentifiers() {
        // The type and id are gathered into one buffer (on the heap past the stack limit): short and long must hash
        // exactly `put.<type>.<id>.<data>`.
        for (type, id) in [
            ("t", ""), ("documents", "d1"), ("ü", "🙂"), ("t", String(repeating: "i", count: 505)),
            ("t", String(repeating: "i", count: 506)),
            (String(repeating: "T", count: 300), String(repeating: "é", count: 200)),
        ] {
            let data = #"{"id":"x","v":1}"#
            #expect(
                OpChecksum.put(objectType: type, objectID: id, data: data)
                    == OpChecksum.hash("put.\(type).\(id).\(data)"))
        }
    }

    @Test func bucketChecksumWrapsAt32Bits() {
        #expect(OpChecksum.add(0xFFFF_FFFF, 2) == 1)
        #expect(OpChecksum.reduce(4_294_967_296 + 5) == 5)
        #expect(
            BucketChecksum(bucket: "b", checksum: 2_582_164_875, count: 1, hasClear: false).signedChecksum
                == -1_712_802_421)
    }

    @Test func subkeyIsTheTableAndTheFirst16BytesOfTheKeysSHA256InLowercaseHex() {
        // Expected value from Python: "public.documents/" + hashlib.sha256(b'["d1"]').hexdigest()[:32]
        #expect(
            Subkey.make(sourceTable: "public.documents", sourceKey: #"["d1"]"#)
                == "public.documents/903020c452b302a0b2271066ff11b3d4")
    }
}
