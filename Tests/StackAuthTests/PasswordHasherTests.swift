import Testing

@testable import StackAuth

@Suite("PasswordHasher: BetterAuth scrypt format")
struct PasswordHasherTests {
    let hasher = PasswordHasher()

    @Test("a hash has a 32-char lowercase hex salt and a 128-char hex key")
    func format() async throws {
        let stored = try await hasher.hash("correct horse battery")
        let parts = stored.split(separator: ":")
        #expect(parts.count == 2)
        #expect(parts[0].count == 32 && parts[1].count == 128)
        #expect(stored.allSatisfy { "0123456789abcdef:".contains($0) })
        #expect(try await hasher.verify("correct horse battery", against: stored))
        #expect(try await !hasher.verify("correct horse batterY", against: stored))
    }

    @Test("two hashes of one password differ by salt and both verify")
    func saltIsRandom() async throws {
        let first = try await hasher.hash("same password")
        let second = try await hasher.hash("same password")
        #expect(first != second)
        #expect(try await hasher.verify("same password", against: second))
    }

    @Test("a hash made by Python hashlib.scrypt verifies in Swift", needsPython)
    func pythonHashVerifiesInSwift() async throws {
        let stored = try CrossCheck.run("scrypt-hash", "pässwörd-🔑-123")
        #expect(try await hasher.verify("pässwörd-🔑-123", against: stored))
        #expect(try await !hasher.verify("passwörd-🔑-123", against: stored))
    }

    @Test("a hash made in Swift verifies in Python", needsPython)
    func swiftHashVerifiesInPython() async throws {
        let stored = try await hasher.hash("Zürich 2024 ✓")
        #expect(try CrossCheck.run("scrypt-verify", stored, "Zürich 2024 ✓") == "true")
        #expect(try CrossCheck.run("scrypt-verify", stored, "Zurich 2024 ✓") == "false")
    }

    @Test("passwords are NFKC-normalised: the ligature ﬁ equals f+i, on both sides", needsPython)
    func nfkc() async throws {
        let ligature = "\u{FB01}nancial-secret"
        let stored = try await hasher.hash(ligature)
        #expect(try await hasher.verify("financial-secret", against: stored))
        #expect(try CrossCheck.run("scrypt-verify", stored, "financial-secret") == "true")
        // NFKC maps full-width digits too; a genuinely different letter must still fail.
        let fullWidth = try await hasher.hash("code\u{FF11}\u{FF12}\u{FF13}")
        #expect(try await hasher.verify("code123", against: fullWidth))
        #expect(try await !hasher.verify("c0de123", against: fullWidth))
    }

    @Test("a 128-character password hashes and verifies; one more character fails")
    func longPasswords() async throws {
        let long = String(repeating: "a", count: 127) + "b"
        let stored = try await hasher.hash(long)
        #expect(try await hasher.verify(long, against: stored))
        #expect(try await !hasher.verify(long + "c", against: stored))
    }

    @Test("a malformed stored hash is a typed error, not a crash", arguments: ["", "abc", ":abc", "abc:"])
    func malformedHash(_ stored: String) async throws {
        await #expect(throws: AuthError.self) { try await hasher.verify("whatever1", against: stored) }
        do {
            _ = try await hasher.verify("whatever1", against: stored)
        } catch let error as AuthError {
            #expect(error.stackCode == "STACK-A020")
        }
    }

    @Test("an empty password neither crashes nor matches")
    func emptyPassword() async throws {
        let stored = try await hasher.hash("non-empty-password")
        #expect(try await !hasher.verify("", against: stored))
        await hasher.dummyVerify("")
        await #expect(throws: AuthError.invalidPassword) { try await hasher.hash("") }
    }

    @Test("dummyVerify costs about as much as a real verification")
    func dummyVerifyTiming() async throws {
        let stored = try await hasher.hash("timing-password")
        let clock = ContinuousClock()
        let real = try await clock.measure { _ = try await hasher.verify("wrong-password", against: stored) }
        let dummy = await clock.measure { await hasher.dummyVerify("wrong-password") }
        // One scrypt each; allow generous noise on a shared 2-core machine but catch a skipped derivation.
        #expect(dummy > real / 4)
        #expect(dummy > .milliseconds(10))
    }
}
