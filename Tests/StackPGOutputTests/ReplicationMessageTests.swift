import Foundation
import StackPGOutput
import Testing

@Suite struct ReplicationMessageTests {
    private func bigEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
    }

    @Test func decodesXLogData() throws {
        let payload: [UInt8] = [0x4D, 0x00, 0x01]
        let bytes = [UInt8(ascii: "w")] + bigEndian(0x1_0000_0020) + bigEndian(0x1_0000_0040) + bigEndian(777) + payload
        guard case .xLogData(let data) = try ReplicationMessage.decode(bytes) else {
            Issue.record("expected XLogData")
            return
        }
        #expect(data.walStart == LSN("1/20"))
        #expect(data.walEnd == LSN("1/40"))
        #expect(data.serverTime == 777)
        #expect(data.payload == payload)
    }

    @Test func decodesKeepaliveWithAndWithoutReplyRequest() throws {
        for reply: UInt8 in [0, 1] {
            let bytes = [UInt8(ascii: "k")] + bigEndian(0xABC) + bigEndian(UInt64(bitPattern: -5)) + [reply]
            let expected = PrimaryKeepalive(walEnd: LSN(0xABC), serverTime: -5, replyRequested: reply == 1)
            #expect(try ReplicationMessage.decode(bytes) == .keepalive(expected))
        }
    }

    @Test func rejectsBadKeepalivesAndUnknownTypes() {
        let keepalive = [UInt8(ascii: "k")] + bigEndian(1) + bigEndian(2)
        #expect(throws: PGOutputError.self) { try ReplicationMessage.decode(keepalive) }
        #expect(throws: PGOutputError.self) { try ReplicationMessage.decode(keepalive + [2]) }
        #expect(throws: PGOutputError.self) { try ReplicationMessage.decode(keepalive + [1, 0]) }
        #expect(throws: PGOutputError.self) { try ReplicationMessage.decode([UInt8(ascii: "w")] + bigEndian(1)) }
        #expect(throws: PGOutputError.self) { try ReplicationMessage.decode([UInt8(ascii: "x")]) }
        #expect(throws: PGOutputError.self) { try ReplicationMessage.decode([]) }
    }

    @Test func encodesStandbyStatusUpdateLayout() {
        let update = StandbyStatusUpdate(
            written: LSN(0x0102_0304_0506_0708), flushed: LSN(0x1112_1314_1516_1718),
            applied: LSN(0x2122_2324_2526_2728), clientTime: 0x3132_3334_3536_3738, replyRequested: true)
        let expected: [UInt8] =
            [0x72] + [1, 2, 3, 4, 5, 6, 7, 8] + [0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18]
            + [0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28] + [0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38] + [1]
        #expect(update.encoded() == expected)
        var noReply = update
        noReply.replyRequested = false
        #expect(noReply.encoded().count == 34)
        #expect(noReply.encoded().last == 0)
    }

    @Test func convertsPostgresEpochTimes() {
        // 2000-01-01T00:00:00Z is the zero of Postgres' replication clock.
        #expect(PostgresTime.microseconds(since: Date(timeIntervalSince1970: 946_684_800)) == 0)
        #expect(PostgresTime.microseconds(since: Date(timeIntervalSince1970: 946_684_801.5)) == 1_500_000)
        #expect(PostgresTime.date(microseconds: -1_000_000).timeIntervalSince1970 == 946_684_799)
    }
}
