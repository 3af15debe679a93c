import Foundation
import StackCore
import Testing

@Suite("StackCore values")
struct StackCoreTests {
    @Test("typos find the nearest key; unrelated words find none")
    func suggestions() {
        #expect(Suggestion.nearest(to: "base_urll", in: ["base_url", "secret"]) == "base_url")
        #expect(Suggestion.nearest(to: "lisen", in: ["listen", "max_body_bytes"]) == "listen")
        #expect(Suggestion.nearest(to: "Publication", in: ["publication"]) == "publication")
        #expect(Suggestion.nearest(to: "zebra", in: ["listen", "audience"]) == nil)
        #expect(Suggestion.editDistance("kitten", "sitting") == 3)
    }

    @Test(
        "passwords never survive redaction",
        arguments: [
            ("postgres://app:s3cret@db:5432/app", "postgres://app:***@db:5432/app"),
            ("postgres://app:p@ss:w@db/app", "postgres://app:***@db/app"),
            ("postgres://app@db/app", "postgres://app@db/app"),
            ("not a url", "not a url"),
        ])
    func redaction(input: String, expected: String) {
        #expect(Redaction.url(input) == expected)
    }

    @Test(
        "listen addresses",
        arguments: [
            ("127.0.0.1:3011", "127.0.0.1", 3011), ("8080", "127.0.0.1", 8080), ("[::1]:9000", "::1", 9000),
            ("0.0.0.0:80", "0.0.0.0", 80),
        ])
    func listen(text: String, host: String, port: Int) throws {
        let address = try #require(ListenAddress(parsing: text))
        #expect(address.host == host)
        #expect(address.port == port)
    }

    @Test("invalid listen addresses are rejected; wildcards map to loopback in URLs")
    func listenInvalid() {
        for text in ["", "host", "host:", "1.2.3.4:99999", "::1:80", ":80"] {
            #expect(ListenAddress(parsing: text) == nil, "\(text)")
        }
        #expect(ListenAddress(host: "0.0.0.0", port: 8080).httpURL == "http://127.0.0.1:8080")
        #expect(ListenAddress(host: "::1", port: 8080).httpURL == "http://[::1]:8080")
    }

    @Test("origins drop default ports and paths, keep the rest exactly")
    func origins() {
        #expect(URLParts("http://localhost:3011/api/auth")?.origin == "http://localhost:3011")
        #expect(URLParts("https://Example.com:443")?.origin == "https://example.com")
        #expect(URLParts("http://example.com:80/")?.origin == "http://example.com")
        #expect(URLParts("ftp://example.com") == nil)
    }

    @Test("JSON values keep 64-bit integers exact")
    func json() throws {
        let text = #"{"a":9007199254740993,"b":1.5,"c":[true,null,"x"]}"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        guard case .object(let object) = value else {
            Issue.record("not an object")
            return
        }
        #expect(object["a"] == .integer(9_007_199_254_740_993))
        #expect(object["b"] == .double(1.5))
        #expect(object["c"] == .array([.bool(true), .null, .string("x")]))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(value), as: UTF8.self) == text)
    }
}
