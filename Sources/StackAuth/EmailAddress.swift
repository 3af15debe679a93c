/// A sign-up / sign-in email, validated like BetterAuth's `z.email()` (zod 4) and lower-cased for lookups.
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    /// The lower-cased address, as stored in `"user".email` and used to find users.
    public let normalized: String

    /// Validates `raw` (zod 4 `email()` rules) and lower-cases it; throws `AuthError.invalidEmail`.
    public init(_ raw: String) throws(AuthError) {
        guard Self.isValid(raw) else { throw .invalidEmail }
        // The rules admit ASCII only, so JavaScript's `toLowerCase()` and ours agree.
        normalized = raw.lowercased()
    }

    /// The normalized address.
    public var description: String { normalized }

    /// zod 4's default email pattern, checked by hand:
    /// `^(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-\.]*)[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$`
    public static func isValid(_ raw: String) -> Bool {
        let bytes = Array(raw.utf8)
        guard let at = bytes.firstIndex(of: UInt8(ascii: "@")), at > 0 else { return false }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        guard bytes.first != UInt8(ascii: "."), !containsDoubleDot(bytes) else { return false }
        guard local.allSatisfy(isLocalCharacter), let last = local.last, isLocalLastCharacter(last) else {
            return false
        }
        let labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2, let topLevel = labels.last else { return false }
        for label in labels.dropLast() {
            guard let first = label.first, isAlphanumeric(first),
                label.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") })
            else { return false }
        }
        return topLevel.count >= 2 && topLevel.allSatisfy(isLetter)
    }

    private static func containsDoubleDot(_ bytes: [UInt8]) -> Bool {
        zip(bytes, bytes.dropFirst()).contains { $0 == UInt8(ascii: ".") && $1 == UInt8(ascii: ".") }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isLetter(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isLocalLastCharacter(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
    }

    private static func isLocalCharacter(_ byte: UInt8) -> Bool {
        isLocalLastCharacter(byte) || byte == UInt8(ascii: "'") || byte == UInt8(ascii: ".")
    }
}
