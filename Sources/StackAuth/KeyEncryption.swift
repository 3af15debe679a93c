import CSodium
import Crypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// BetterAuth's `symmetricEncrypt`/`symmetricDecrypt` (crypto/index.ts): XChaCha20-Poly1305 with
/// key = SHA-256(secret), output hex(nonce ‖ ciphertext ‖ tag); with versioned secrets the hex is wrapped
/// in an envelope `$ba$<version>$<hex>`.
public struct KeyEncryption: Sendable {
    static let nonceLength = 24
    static let tagLength = 16
    static let envelopePrefix = "$ba$"

    // SHA-256 digests only; the secrets themselves are not kept.
    private let writeKey: [UInt8]
    private let writeVersion: Int?
    private let versionKeys: [Int: [UInt8]]
    private let legacyKey: [UInt8]?

    /// Encryption with one secret (BetterAuth's `secret` / BETTER_AUTH_SECRET): writes bare hex.
    public init(secret: String) throws(AuthError) {
        try Sodium.ensureInitialized()
        writeKey = Self.key(for: secret)
        writeVersion = nil
        versionKeys = [:]
        legacyKey = writeKey
    }

    /// Encryption with versioned secrets (BetterAuth's `secrets`): writes `$ba$<current>$<hex>`,
    /// reads envelopes of any configured version and bare hex with `legacySecret`.
    public init(secrets: [Int: String], current: Int, legacySecret: String? = nil) throws(AuthError) {
        try Sodium.ensureInitialized()
        guard let currentSecret = secrets[current] else { throw .unknownSecretVersion(current) }
        writeKey = Self.key(for: currentSecret)
        writeVersion = current
        versionKeys = secrets.mapValues(Self.key(for:))
        legacyKey = legacySecret.map(Self.key(for:))
    }

    /// Encrypts `plaintext` in the form BetterAuth writes for this configuration.
    public func encrypt(_ plaintext: String) -> String {
        let hex = Self.seal(Array(plaintext.utf8), key: writeKey)
        return writeVersion.map { "\(Self.envelopePrefix)\($0)$\(hex)" } ?? hex
    }

    /// Decrypts a value BetterAuth or `encrypt` wrote: bare hex or a `$ba$<version>$<hex>` envelope.
    public func decrypt(_ payload: String) throws(AuthError) -> String {
        let key: [UInt8]
        let hex: Substring
        if let envelope = Self.parseEnvelope(payload) {
            // Single-secret BetterAuth cannot read envelopes at all; we accept one written with that same secret.
            guard let versionKey = versionKeys[envelope.version] ?? (writeVersion == nil ? writeKey : nil) else {
                throw .unknownSecretVersion(envelope.version)
            }
            key = versionKey
            hex = envelope.hex
        } else {
            guard let legacyKey else { throw .noLegacySecret }
            key = legacyKey
            hex = payload[...]
        }
        guard let bytes = ByteEncoding.bytes(fromHex: hex) else { throw .malformedEncryptedKey("not hex") }
        let plaintext = try Self.open(bytes, key: key)
        return String(decoding: plaintext, as: UTF8.self)
    }

    static func key(for secret: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(secret.utf8)))
    }

    static func parseEnvelope(_ payload: String) -> (version: Int, hex: Substring)? {
        guard payload.hasPrefix(envelopePrefix) else { return nil }
        let rest = payload.dropFirst(envelopePrefix.count)
        guard let separator = rest.firstIndex(of: "$"), let version = Int(rest[..<separator]), version >= 0 else {
            return nil
        }
        return (version, rest[rest.index(after: separator)...])
    }

    static func seal(_ plaintext: [UInt8], key: [UInt8]) -> String {
        var nonce = [UInt8](repeating: 0, count: nonceLength)
        randombytes_buf(&nonce, nonceLength)
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + tagLength)
        var ciphertextLength: UInt64 = 0
        // Cannot fail for messages below crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX (~256 GiB).
        _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
            &ciphertext, &ciphertextLength, plaintext, UInt64(plaintext.count), nil, 0, nil, nonce, key)
        return ByteEncoding.hex(nonce + ciphertext.prefix(Int(ciphertextLength)))
    }

    static func open(_ sealed: [UInt8], key: [UInt8]) throws(AuthError) -> [UInt8] {
        guard sealed.count >= nonceLength + tagLength else {
            throw .malformedEncryptedKey("\(sealed.count) bytes, shorter than nonce and tag")
        }
        let nonce = Array(sealed.prefix(nonceLength))
        let ciphertext = Array(sealed.dropFirst(nonceLength))
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count - tagLength)
        var plaintextLength: UInt64 = 0
        let result = crypto_aead_xchacha20poly1305_ietf_decrypt(
            &plaintext, &plaintextLength, nil, ciphertext, UInt64(ciphertext.count), nil, 0, nonce, key)
        guard result == 0 else { throw .keyDecryptionFailed }
        return Array(plaintext.prefix(Int(plaintextLength)))
    }
}

/// One-time libsodium initialisation.
enum Sodium {
    private static let initResult: Int32 = sodium_init()

    /// Runs `sodium_init()` once; throws if libsodium cannot start.
    static func ensureInitialized() throws(AuthError) {
        // sodium_init returns 0 on first success and 1 when already initialised.
        guard initResult >= 0 else { throw .sodiumUnavailable }
    }
}
