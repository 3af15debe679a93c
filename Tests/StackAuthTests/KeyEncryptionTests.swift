import Testing

@testable import StackAuth

@Suite("KeyEncryption: BetterAuth symmetricEncrypt (XChaCha20-Poly1305, key = SHA-256(secret))")
struct KeyEncryptionTests {
    let secret = "better-auth-secret-0123456789abcdef"
    let jwk = #"{"kty":"RSA","n":"abc","e":"AQAB","d":"xyz"}"#

    @Test("Swift round trip; output is hex of 24-byte nonce, ciphertext and 16-byte tag")
    func roundTrip() throws {
        let encryption = try KeyEncryption(secret: secret)
        let sealed = encryption.encrypt(jwk)
        #expect(sealed.count == 2 * (24 + jwk.utf8.count + 16))
        #expect(sealed.allSatisfy { $0.isHexDigit })
        #expect(try encryption.decrypt(sealed) == jwk)
        #expect(encryption.encrypt(jwk) != sealed)  // random nonce
    }

    @Test("PyNaCl ciphertext decrypts in Swift", needsPython)
    func pythonToSwift() throws {
        let sealed = try CrossCheck.run("xchacha-encrypt", secret, jwk)
        #expect(try KeyEncryption(secret: secret).decrypt(sealed) == jwk)
    }

    @Test("Swift ciphertext decrypts with PyNaCl", needsPython)
    func swiftToPython() throws {
        let sealed = try KeyEncryption(secret: secret).encrypt(jwk)
        #expect(try CrossCheck.run("xchacha-decrypt", secret, sealed) == jwk)
        #expect(throws: CrossCheck.Failure.self) { try CrossCheck.run("xchacha-decrypt", "other-secret", sealed) }
    }

    @Test("the wrong secret is STACK-A022, never a crash")
    func wrongSecret() throws {
        let sealed = try KeyEncryption(secret: secret).encrypt(jwk)
        #expect(throws: AuthError.keyDecryptionFailed) { try KeyEncryption(secret: "another-secret").decrypt(sealed) }
    }

    @Test("garbage input is a typed error", arguments: ["zz", "abcd", "", "00"])
    func garbage(_ payload: String) throws {
        #expect(throws: AuthError.self) { try KeyEncryption(secret: secret).decrypt(payload) }
    }

    @Test("versioned secrets write $ba$<version>$hex and read older versions and legacy bare hex", needsPython)
    func envelopes() throws {
        let versioned = try KeyEncryption(
            secrets: [1: "old-secret", 2: "new-secret"], current: 2, legacySecret: secret)
        let sealed = versioned.encrypt(jwk)
        #expect(sealed.hasPrefix("$ba$2$"))
        #expect(try CrossCheck.run("xchacha-decrypt", "new-secret", String(sealed.dropFirst(6))) == jwk)
        let fromVersion1 = "$ba$1$" + (try CrossCheck.run("xchacha-encrypt", "old-secret", jwk))
        #expect(try versioned.decrypt(fromVersion1) == jwk)
        let legacy = try CrossCheck.run("xchacha-encrypt", secret, jwk)
        #expect(try versioned.decrypt(legacy) == jwk)
        #expect(throws: AuthError.unknownSecretVersion(7)) { try versioned.decrypt("$ba$7$" + legacy) }
        let withoutLegacy = try KeyEncryption(secrets: [2: "new-secret"], current: 2)
        #expect(throws: AuthError.noLegacySecret) { try withoutLegacy.decrypt(legacy) }
    }

    @Test("a single secret also reads an envelope made with that secret")
    func singleSecretReadsEnvelope() throws {
        let versioned = try KeyEncryption(secrets: [3: secret], current: 3)
        #expect(try KeyEncryption(secret: secret).decrypt(versioned.encrypt(jwk)) == jwk)
    }
}
