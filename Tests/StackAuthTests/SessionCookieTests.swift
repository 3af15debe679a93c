import Foundation
import Testing

@testable import StackAuth

@Suite("SessionCookie: better-call signed cookies and the bearer plugin")
struct SessionCookieTests {
    let secret = "cookie-secret-0123456789abcdefgh"
    let httpCookie = SessionCookie(
        secret: "cookie-secret-0123456789abcdefgh", origin: try! AuthOrigin(baseURL: "http://localhost:8080"))
    let token = "AbCdEfGhIjKlMnOpQrStUvWxYz012345"

    @Test("the signature is Python's standard padded base64 HMAC-SHA256", needsPython)
    func signatureMatchesPython() throws {
        let expected = try CrossCheck.run("cookie-signature", secret, token)
        #expect(httpCookie.signedValue(for: token) == "\(token).\(expected)")
        #expect(expected.count == 44 && expected.hasSuffix("="))
    }

    @Test("Set-Cookie: URL-encoded value, better-call attribute order, Secure and __Secure- only on https")
    func setCookie() throws {
        let value = httpCookie.signedValue(for: token)
        let encoded = value.replacingOccurrences(of: "+", with: "%2B").replacingOccurrences(of: "/", with: "%2F")
            .replacingOccurrences(of: "=", with: "%3D")
        #expect(
            httpCookie.setCookieHeader(for: token)
                == "better-auth.session_token=\(encoded); Max-Age=604800; Path=/; HttpOnly; SameSite=Lax")
        let https = SessionCookie(secret: secret, origin: try AuthOrigin(baseURL: "https://example.com"), maxAge: 60)
        #expect(
            https.setCookieHeader(for: token)
                == "__Secure-better-auth.session_token=\(encoded); Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Lax")
        #expect(!https.setCookieHeader(for: token, rememberMe: false).contains("Max-Age"))
        #expect(
            https.expiredSetCookieHeader
                == "__Secure-better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax")
    }

    @Test("a Cookie header written from our Set-Cookie yields the token; other cookies are ignored")
    func cookieRoundTrip() {
        let pair = httpCookie.setCookieHeader(for: token).split(separator: ";")[0]
        #expect(httpCookie.token(cookieHeader: "theme=dark; \(pair); other=1") == token)
        #expect(httpCookie.token(cookieHeader: "theme=dark") == nil)
        #expect(httpCookie.token(cookieHeader: nil) == nil)
        // The https cookie name is different, so an http cookie is not read there.
        let https = SessionCookie(secret: secret, origin: try! AuthOrigin(baseURL: "https://example.com"))
        #expect(https.token(cookieHeader: String(pair)) == nil)
    }

    @Test("tampered token, tampered signature, other secret or short signature ⇒ nil")
    func tampering() {
        let signed = httpCookie.signedValue(for: token)
        #expect(httpCookie.verify(signedValue: signed) == token)
        var tamperedToken = signed
        tamperedToken.replaceSubrange(tamperedToken.startIndex...tamperedToken.startIndex, with: "Z")
        #expect(httpCookie.verify(signedValue: tamperedToken) == nil)
        let signature = signed.split(separator: ".")[1]
        let flipped = (signature.first == "A" ? "B" : "A") + signature.dropFirst()
        #expect(httpCookie.verify(signedValue: "\(token).\(flipped)") == nil)
        let other = SessionCookie(
            secret: "another-secret-xxxxxxxxxxxxxxxxxx", origin: try! AuthOrigin(baseURL: "http://a.b"))
        #expect(other.verify(signedValue: signed) == nil)
        #expect(httpCookie.verify(signedValue: "\(token).\(signature.dropLast())") == nil)
        #expect(httpCookie.verify(signedValue: token) == nil)
        #expect(httpCookie.verify(signedValue: ".\(signature)") == nil)
    }

    @Test("bearer: signed, URL-encoded signed and raw tokens resolve; any scheme case; bad ones don't")
    func bearer() {
        let signed = httpCookie.signedValue(for: token)
        let encoded = String(
            httpCookie.setCookieHeader(for: token).split(separator: ";")[0].split(separator: "=", maxSplits: 1)[1])
        #expect(encoded.contains("%"))
        #expect(httpCookie.token(authorization: "Bearer \(signed)") == token)
        #expect(httpCookie.token(authorization: "bearer \(encoded)") == token)
        #expect(httpCookie.token(authorization: "BEARER   \(token)  ") == token)
        #expect(httpCookie.token(authorization: "Bearer \(token).\(String(repeating: "A", count: 43))=") == nil)
        #expect(httpCookie.token(authorization: "Token \(signed)") == nil)
        #expect(httpCookie.token(authorization: "Bearer ") == nil)
        #expect(httpCookie.token(authorization: "Bearer a.b.\(signed)") == nil)
    }

    @Test("a valid bearer token wins over the cookie; an invalid one falls back to the cookie")
    func precedence() {
        let cookieHeader = String(httpCookie.setCookieHeader(for: token).split(separator: ";")[0])
        let other = "OtherTokenOtherTokenOtherToken01"
        #expect(httpCookie.sessionToken(cookieHeader: cookieHeader, authorization: "Bearer \(other)") == other)
        #expect(httpCookie.sessionToken(cookieHeader: cookieHeader, authorization: "Bearer x.y") == token)
        #expect(httpCookie.sessionToken(cookieHeader: nil, authorization: nil) == nil)
    }
}

@Suite("AuthIdentifier")
struct AuthIdentifierTests {
    @Test("ids are 32 alphanumeric characters and do not repeat")
    func shape() {
        let ids = (0..<2000).map { _ in AuthIdentifier.generate() }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.count == 32 && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } })
        // Every character of the alphabet shows up across 64 000 draws (rules out a truncated alphabet).
        #expect(Set(ids.joined()).count == 62)
        #expect(AuthIdentifier.sessionToken().count == 32)
    }
}
