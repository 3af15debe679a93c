import Foundation
import Testing

@testable import StackAuth

@Suite("Email and password rules (BetterAuth sign-up / sign-in)")
struct CredentialRulesTests {
    @Test(
        "zod 4 accepts these emails",
        arguments: ["a@b.co", "first.last+tag@example.com", "o'neil@sub.example.org", "x_y-z@a-b.c-d.io", "A@B.CO"])
    func validEmails(_ email: String) throws {
        #expect(EmailAddress.isValid(email))
        #expect(try EmailAddress(email).normalized == email.lowercased())
    }

    @Test(
        "zod 4 rejects these emails",
        arguments: [
            "", "plain", "@example.com", "a@", "a@b", "a@b.c", ".a@b.co", "a..b@c.co", "a.@b.co", "a@-b.co",
            "a@b..co", "a@b.c0", "a b@c.co", "a@b@c.co", "ü@example.com", "a@example.com ", "a'@b.co", "a@b.co.",
        ])
    func invalidEmails(_ email: String) {
        #expect(!EmailAddress.isValid(email))
        #expect(throws: AuthError.invalidEmail) { try EmailAddress(email) }
    }

    @Test("emails differing only in case normalise to the same address")
    func caseInsensitive() throws {
        #expect(try EmailAddress("Ada.Lovelace@Example.COM") == EmailAddress("ada.lovelace@example.com"))
        #expect(try EmailAddress("Ada@Example.com").normalized == "ada@example.com")
    }

    @Test("password length: 8 … 128 UTF-16 units, BetterAuth's codes beyond")
    func passwordLengths() throws {
        let policy = PasswordPolicy()
        try policy.check(String(repeating: "x", count: 8))
        try policy.check(String(repeating: "x", count: 128))
        #expect(throws: AuthError.passwordTooShort(minimum: 8, seen: 7)) { try policy.check("1234567") }
        #expect(throws: AuthError.passwordTooLong(maximum: 128, seen: 129)) {
            try policy.check(String(repeating: "x", count: 129))
        }
        #expect(throws: AuthError.invalidPassword) { try policy.check("") }
        // JavaScript counts UTF-16 code units: 4 emoji are 8 units, so they pass like in BetterAuth.
        try policy.check("🔑🔑🔑🔑")
        #expect(throws: AuthError.passwordTooLong(maximum: 128, seen: 130)) {
            try policy.check(String(repeating: "🔑", count: 65))
        }
    }

    @Test("error bodies are BetterAuth's {code, message} with its statuses")
    func errorBodies() throws {
        let cases: [(AuthError, Int, String, String)] = [
            (
                .userAlreadyExists, 422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
                "User already exists. Use another email."
            ),
            (.invalidEmailOrPassword, 401, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password"),
            (.passwordTooShort(minimum: 8, seen: 3), 400, "PASSWORD_TOO_SHORT", "Password too short"),
            (.passwordTooLong(maximum: 128, seen: 200), 400, "PASSWORD_TOO_LONG", "Password too long"),
            (.invalidEmail, 400, "INVALID_EMAIL", "Invalid email"),
            (.unauthorized, 401, "UNAUTHORIZED", "Unauthorized"),
            (.invalidOrigin, 403, "INVALID_ORIGIN", "Invalid origin"),
            (.tooManyRequests(retryAfter: 3), 429, "TOO_MANY_REQUESTS", "Too many requests. Please try again later."),
        ]
        for (error, status, code, message) in cases {
            let body = try JSONSerialization.jsonObject(with: error.responseBody) as? [String: String]
            #expect(error.status == status)
            #expect(body == ["code": code, "message": message])
            #expect(error.stackCode.hasPrefix("STACK-A0") && error.description.hasPrefix(error.stackCode))
        }
        #expect(AuthError.keyDecryptionFailed.status == 500 && !AuthError.keyDecryptionFailed.isClientError)
    }
}
