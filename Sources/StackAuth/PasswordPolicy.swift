/// BetterAuth's password length rules for sign-up (`minPasswordLength` 8, `maxPasswordLength` 128 by default).
public struct PasswordPolicy: Sendable, Equatable {
    /// Shortest accepted password, in UTF-16 code units.
    public var minimumLength: Int
    /// Longest accepted password, in UTF-16 code units.
    public var maximumLength: Int

    /// A policy; the defaults are BetterAuth's.
    public init(minimumLength: Int = 8, maximumLength: Int = 128) {
        self.minimumLength = minimumLength
        self.maximumLength = maximumLength
    }

    /// Throws the BetterAuth error sign-up answers for `password`, or returns when it is acceptable.
    public func check(_ password: String) throws(AuthError) {
        // BetterAuth compares JavaScript's `password.length`, which counts UTF-16 code units, not characters.
        let length = password.utf16.count
        guard length > 0 else { throw .invalidPassword }
        guard length >= minimumLength else { throw .passwordTooShort(minimum: minimumLength, seen: length) }
        guard length <= maximumLength else { throw .passwordTooLong(maximum: maximumLength, seen: length) }
    }
}
