import Crypto
import CryptoExtras
import Foundation
import NIOPosix
import Synchronization

/// BetterAuth's password hash (`@better-auth/utils/password`): scrypt N=16384 r=16 p=1, 64-byte key,
/// stored as `saltHex:keyHex`. Work runs on a NIO thread pool, never on the cooperative pool.
public struct PasswordHasher: Sendable {
    static let rounds = 16_384
    static let blockSize = 16
    static let parallelism = 1
    static let keyLength = 64
    static let saltLength = 16

    // A fixed well-formed hash so unknown-email sign-ins cost one full scrypt like real ones.
    private static let dummyHash =
        "00000000000000000000000000000000:" + String(repeating: "0", count: keyLength * 2)

    private let threadPool: NIOThreadPool
    private let verified = Counter()

    /// A hasher whose scrypt runs on `threadPool` (its thread count bounds concurrent 32 MiB scrypt buffers).
    public init(threadPool: NIOThreadPool = .singleton) {
        self.threadPool = threadPool
    }

    /// Verifications this hasher ran, dummy ones included: an unknown email must cost one like a wrong password.
    public var verifications: Int { verified.value.load(ordering: .relaxed) }

    /// A new `saltHex:keyHex` hash of `password`, readable by BetterAuth.
    public func hash(_ password: String) async throws -> String {
        try await threadPool.runIfActive { try Self.hashNow(password) }
    }

    /// Whether `password` matches `storedHash` (a BetterAuth `saltHex:keyHex`), compared in constant time.
    public func verify(_ password: String, against storedHash: String) async throws -> Bool {
        verified.value.add(1, ordering: .relaxed)
        return try await threadPool.runIfActive { try Self.verifyNow(password, against: storedHash) }
    }

    /// Spends the time of one verification and returns nothing, for sign-ins with an unknown email.
    public func dummyVerify(_ password: String) async {
        _ = try? await verify(password, against: Self.dummyHash)
    }

    /// Synchronous `hash`, for callers already off the cooperative pool.
    public static func hashNow(_ password: String) throws -> String {
        // Sign-up rejects empty passwords before hashing (BetterAuth's INVALID_PASSWORD); so do we.
        guard !password.isEmpty else { throw AuthError.invalidPassword }
        var generator = SystemRandomNumberGenerator()
        let salt = ByteEncoding.hex((0..<saltLength).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let key = try deriveKey(password: password, salt: salt)
        return "\(salt):\(ByteEncoding.hex(key))"
    }

    /// Synchronous `verify`, for callers already off the cooperative pool.
    public static func verifyNow(_ password: String, against storedHash: String) throws -> Bool {
        // BetterAuth: `const [salt, key] = hash.split(":")`, both must be non-empty; extra parts are ignored.
        let parts = storedHash.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw AuthError.malformedPasswordHash(parts: parts.filter { !$0.isEmpty }.count)
        }
        guard !password.isEmpty else {
            // No stored hash is of an empty password (sign-up refuses it); spend the same time, then fail.
            _ = try deriveKey(password: "\u{0}", salt: String(parts[0]))
            return false
        }
        let derived = ByteEncoding.hex(try deriveKey(password: password, salt: String(parts[0])))
        // BetterAuth compares the lowercase hex strings, so an upper-case stored key never matches there either.
        return ConstantTime.equal(Array(derived.utf8), Array(parts[1].utf8))
    }

    /// scrypt over the NFKC form of a non-empty `password`; the salt is the hex *text*, used as UTF-8 bytes.
    static func deriveKey(password: String, salt: String) throws -> [UInt8] {
        // BoringSSL's binding force-unwraps the buffer address, which an empty array may lack.
        let passwordBytes = Array(password.precomposedStringWithCompatibilityMapping.utf8)
        guard !passwordBytes.isEmpty else { throw AuthError.invalidPassword }
        do {
            let key = try KDF.Scrypt.deriveKey(
                from: passwordBytes, salt: Array(salt.utf8), outputByteCount: keyLength, rounds: rounds,
                blockSize: blockSize, parallelism: parallelism)
            return key.withUnsafeBytes { Array($0) }
        } catch {
            throw AuthError.passwordHashingFailed(String(describing: error))
        }
    }
}

extension PasswordHasher {
    private final class Counter: Sendable {
        let value = Atomic(0)
    }
}
