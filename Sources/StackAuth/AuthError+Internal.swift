// Server-side failures: the client sees BetterAuth's generic 500, the log sees the stack code and detail.
extension AuthError {
    static func internalError(_ stackCode: String, _ detail: String) -> AuthError {
        AuthError(
            stackCode: stackCode, status: 500, code: "INTERNAL_SERVER_ERROR", message: "Internal Server Error",
            detail: detail)
    }

    /// A stored password hash is not `saltHex:keyHex`.
    public static func malformedPasswordHash(parts: Int) -> AuthError {
        internalError(
            "STACK-A020",
            "Stored password hash is not in BetterAuth's 'salt:key' form (saw \(parts) non-empty part(s)). "
                + "Reset the user's password; the account.password column was written by something else.")
    }

    /// scrypt itself failed (out of memory or the library refused the parameters).
    public static func passwordHashingFailed(_ reason: String) -> AuthError {
        internalError(
            "STACK-A021", "scrypt key derivation failed (\(reason)). Check available memory (scrypt needs 32 MiB).")
    }

    /// A jwks private key could not be decrypted with the configured secret.
    public static let keyDecryptionFailed = internalError(
        "STACK-A022",
        "Failed to decrypt a JWKS private key: the auth secret differs from the one that encrypted it, "
            + "or the stored value is corrupt. Restore the original auth.secret, or delete the rows of the jwks "
            + "table so new keys are generated.")

    /// A stored encrypted key is not hex of nonce ‖ ciphertext ‖ tag.
    public static func malformedEncryptedKey(_ reason: String) -> AuthError {
        internalError(
            "STACK-A023",
            "A stored encrypted JWKS private key is malformed (\(reason)). Delete the row from the jwks table.")
    }

    /// An envelope `$ba$<version>$…` names a secret version we do not have.
    public static func unknownSecretVersion(_ version: Int) -> AuthError {
        internalError(
            "STACK-A024",
            "A JWKS private key was encrypted with secret version \(version), which is not configured. "
                + "Add that secret version back, or delete the row from the jwks table.")
    }

    /// A jwks row does not hold an RSA JWK we can use.
    public static func unsupportedSigningKey(_ reason: String) -> AuthError {
        internalError(
            "STACK-A025",
            "A jwks row cannot be used as an RS256 signing key (\(reason)). stack signs with RS256 only; "
                + "delete non-RSA rows or rows from another configuration.")
    }

    /// The configured token lifetime is outside 1 s … 24 h.
    public static func invalidTokenLifetime(_ seconds: Int) -> AuthError {
        internalError(
            "STACK-A026",
            "JWT lifetime must be between 1 and 86400 seconds (PowerSync rejects longer tokens) but is \(seconds). "
                + "Set auth.jwt.expires_in to at most 24h.")
    }

    /// The configured base URL has no http(s) origin.
    public static func invalidBaseURL(_ url: String) -> AuthError {
        internalError(
            "STACK-A027",
            "auth.base_url must be an absolute http(s) URL like https://example.com but is '\(url)'.")
    }

    /// Signing or verifying a JWT failed inside jwt-kit.
    public static func tokenFailure(_ reason: String) -> AuthError {
        internalError("STACK-A028", "JWT signing or verification failed: \(reason).")
    }

    /// libsodium could not be initialised.
    public static let sodiumUnavailable = internalError(
        "STACK-A029", "libsodium failed to initialise (sodium_init() < 0). Check the libsodium installation.")

    /// A bare-hex (unversioned) encrypted key was found but only versioned secrets are configured.
    public static let noLegacySecret = internalError(
        "STACK-A030",
        "A JWKS private key is encrypted without a secret version, but no legacy secret is configured. "
            + "Pass the old single auth secret as legacySecret, or delete the row from the jwks table.")
}
