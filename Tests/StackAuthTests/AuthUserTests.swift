import Foundation
import Testing

@testable import StackAuth

@Suite("AuthUser JSON and JavaScript dates")
struct AuthUserTests {
    @Test("dates print like JSON.stringify(new Date(ms)), whole milliseconds, UTC")
    func javaScriptDates() {
        #expect(JavaScriptDate.string(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(JavaScriptDate.string(Date(timeIntervalSince1970: 1_714_564_800.123)) == "2024-05-01T12:00:00.123Z")
        // Postgres keeps microseconds; JavaScript truncates them.
        #expect(JavaScriptDate.string(Date(timeIntervalSince1970: 1_714_564_800.999_9)) == "2024-05-01T12:00:00.999Z")
        #expect(JavaScriptDate.date("2024-05-01T12:00:00.123Z") == Date(timeIntervalSince1970: 1_714_564_800.123))
        #expect(JavaScriptDate.date("2024-05-01T12:00:00Z") == Date(timeIntervalSince1970: 1_714_564_800))
    }

    @Test("user JSON has BetterAuth's keys, null image, and decodes back")
    func json() throws {
        let data = try JSONEncoder().encode(AuthUser.sample)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect(object?.keys.sorted() == ["createdAt", "email", "emailVerified", "id", "image", "name", "updatedAt"])
        #expect(object?["image"] is NSNull)
        #expect(object?["createdAt"] as? String == "2024-05-01T12:00:00.123Z")
        let decoded = try JSONDecoder().decode(AuthUser.self, from: data)
        #expect(decoded.id == AuthUser.sample.id && decoded.image == nil)
        #expect(abs(decoded.createdAt.timeIntervalSince(AuthUser.sample.createdAt)) < 0.001)
    }
}

@Suite("JavaScriptDate parsing")
struct JavaScriptDateParsingTests {
    @Test(
        "malformed dates are nil",
        arguments: ["", "2024-05-01", "2024-05-01T12:00:00.1a3Z", "2024-05-01T12:00:00+02:00"])
    func malformed(_ text: String) {
        #expect(JavaScriptDate.date(text) == nil)
    }
}
