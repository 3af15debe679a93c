/// Random identifiers as BetterAuth makes them: user, session and account ids and session tokens alike.
public enum AuthIdentifier {
    // BetterAuth's `generateId` alphabet ("a-z", "A-Z", "0-9"), packages/core/src/utils/id.ts.
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)

    /// A `length`-character alphanumeric string from the system CSPRNG (BetterAuth's `generateId(32)`).
    public static func generate(length: Int = 32) -> String {
        precondition(length > 0, "identifier length must be positive")
        // Rejection sampling like @better-auth/utils/random: bytes >= 248 would bias towards the first letters.
        let maxValid = UInt8(256 / alphabet.count * alphabet.count)
        var generator = SystemRandomNumberGenerator()
        var out = [UInt8]()
        out.reserveCapacity(length)
        while out.count < length {
            let byte = UInt8.random(in: 0...255, using: &generator)
            if byte < maxValid {
                out.append(alphabet[Int(byte) % alphabet.count])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A new session token (32 alphanumeric characters, as BetterAuth's internal adapter).
    public static func sessionToken() -> String { generate(length: 32) }
}
