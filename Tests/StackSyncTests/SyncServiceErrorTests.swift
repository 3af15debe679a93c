import StackProtocol
import Testing

@testable import StackSync

@Suite struct SyncServiceErrorTests {
    @Test func bodyHasPowerSyncShape() throws {
        var writer = JSONWriter()
        SyncServiceError.expired.body.write(to: &writer)
        let text = String(decoding: writer.bytes, as: UTF8.self)
        #expect(
            text == #"{"error":{"name":"PowerSyncError","code":"PSYNC_S2103","status":401,"description":"JWT has expired"}}"#)
    }

    @Test func limitErrorsUseTheirStatus() {
        #expect(SyncServiceError.tooManyConnections(limit: 3).status == 429)
        #expect(SyncServiceError.tooManyConnections(limit: 3).code == "PSYNC_S2304")
        #expect(SyncServiceError.tooManyBuckets(limit: 2, got: 5).code == "PSYNC_S2305")
    }
}
