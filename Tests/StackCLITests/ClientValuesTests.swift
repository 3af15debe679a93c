import Foundation
import StackCore
import Testing

@testable import StackCLI

@Suite struct ClientValuesTests {
    /// A device fills created_at/updated_at in the form the sync service sends timestamps back (PGTimestamp's
    /// `YYYY-MM-DD HH:MM:SS[.f]Z`, trailing zeros dropped), so its own insert is not reported back as an edit.
    @Test func nowIsWrittenAsTheSyncServiceSendsItBack() {
        #expect(ClientValues.now(Date(timeIntervalSince1970: 1_796_314_032.01)) == "2026-12-03 16:07:12.01Z")
        #expect(ClientValues.now(Date(timeIntervalSince1970: 1_796_314_032)) == "2026-12-03 16:07:12Z")
        #expect(ClientValues.now(Date(timeIntervalSince1970: 1_796_314_032.1239)) == "2026-12-03 16:07:12.123Z")
        let text = ClientValues.now()
        #expect(UTCTimestamp.parseISO8601(text)?.legacyText == text)
    }
}
