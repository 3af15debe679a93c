// Errors of the HTTP layer and the database-backed service, in BetterAuth's codes where it has one.
extension AuthError {
    /// 400: the body is not a JSON object, or a field is missing or has the wrong type (better-call + zod).
    public static func invalidBody(_ message: String) -> AuthError {
        AuthError(
            stackCode: "STACK-A012", status: 400, code: "VALIDATION_ERROR", message: message,
            detail: "The request body was refused: \(message). Send a JSON object with the documented fields.")
    }

    /// 413: the body is larger than the auth server accepts (BetterAuth bodies are a few hundred bytes).
    public static func bodyTooLarge(limit: Int) -> AuthError {
        AuthError(
            stackCode: "STACK-A014", status: 413, code: "PAYLOAD_TOO_LARGE",
            message: "The request body is larger than \(limit) bytes",
            detail: "The request body is larger than \(limit) bytes, the auth server's limit. Send only the "
                + "documented fields.")
    }

    /// 403: a cookie-bearing state change without an `Origin` or `Referer` header.
    public static let missingOrigin = AuthError(
        stackCode: "STACK-A013", status: 403, code: "MISSING_OR_NULL_ORIGIN", message: "Missing or null Origin",
        detail: "A request carrying cookies changed state without an Origin header. Browsers send one; other "
            + "clients must send Origin: <auth base URL> or use the bearer token instead of cookies.")

    /// 503: Postgres cannot be reached (down, restarting, or refusing connections); the client should retry.
    public static let databaseUnavailable = AuthError(
        stackCode: "STACK-A015", status: 503, code: "SERVICE_UNAVAILABLE",
        message: "The database is unavailable, retry shortly",
        detail: "Postgres cannot be reached (it is down, restarting or refusing connections). Requests are answered "
            + "503 with Retry-After until a probe connects again; check the database (stack doctor).")

    /// 500: the database failed while serving an auth request.
    public static func databaseFailure(_ reason: String) -> AuthError {
        internalError("STACK-A031", "A database operation of the auth server failed: \(reason).")
    }

    /// 500: a stored key cannot be decrypted at startup (the secret changed).
    public static func startupKeyCheckFailed(_ underlying: AuthError) -> AuthError {
        internalError(
            "STACK-A032",
            "The signing keys in the jwks table cannot be loaded with the configured auth.secret: "
                + "\(underlying.detail) stack does not replace them silently, because issued tokens would stop "
                + "verifying.")
    }
}
