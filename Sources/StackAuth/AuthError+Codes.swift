// Client-facing errors: codes and messages are BetterAuth's `BASE_ERROR_CODES` (packages/core/src/error/codes.ts)
// with the statuses its routes throw them with (sign-up.ts, sign-in.ts, session.ts, origin-check.ts).
extension AuthError {
    /// 422: sign-up with an email that already has a user.
    public static let userAlreadyExists = AuthError(
        stackCode: "STACK-A001", status: 422, code: "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
        message: "User already exists. Use another email.",
        detail: "Sign-up refused: a user with this email already exists. Sign in instead or use another email.")

    /// 401: unknown email, no credential account or wrong password (deliberately indistinguishable).
    public static let invalidEmailOrPassword = AuthError(
        stackCode: "STACK-A002", status: 401, code: "INVALID_EMAIL_OR_PASSWORD",
        message: "Invalid email or password",
        detail: "Sign-in refused: the email is unknown or the password does not match.")

    /// 400: password shorter than the minimum.
    public static func passwordTooShort(minimum: Int, seen: Int) -> AuthError {
        AuthError(
            stackCode: "STACK-A003", status: 400, code: "PASSWORD_TOO_SHORT", message: "Password too short",
            detail: "Password has \(seen) characters but at least \(minimum) are required. Choose a longer password.")
    }

    /// 400: password longer than the maximum.
    public static func passwordTooLong(maximum: Int, seen: Int) -> AuthError {
        AuthError(
            stackCode: "STACK-A004", status: 400, code: "PASSWORD_TOO_LONG", message: "Password too long",
            detail: "Password has \(seen) characters but at most \(maximum) are allowed. Choose a shorter password.")
    }

    /// 400: the email does not pass BetterAuth's (zod) email check.
    public static let invalidEmail = AuthError(
        stackCode: "STACK-A005", status: 400, code: "INVALID_EMAIL", message: "Invalid email",
        detail: "The email is not a valid address (zod `email()` rules). Send an address like name@example.com.")

    /// 401: no valid session for a route that needs one.
    public static let unauthorized = AuthError(
        stackCode: "STACK-A006", status: 401, code: "UNAUTHORIZED", message: "Unauthorized",
        detail: "No valid session: the session cookie or bearer token is missing, badly signed or expired. Sign in.")

    /// 403: the request's Origin is not trusted.
    public static let invalidOrigin = AuthError(
        stackCode: "STACK-A007", status: 403, code: "INVALID_ORIGIN", message: "Invalid origin",
        detail: "The request Origin is not the auth base URL or a trusted origin. Add it to the trusted origins.")

    /// 403: a `callbackURL` that is neither a local path nor on the base URL's or a trusted origin (BetterAuth's
    /// origin check), so sign-in cannot be used to send the user to another site.
    public static let invalidCallbackURL = AuthError(
        stackCode: "STACK-A016", status: 403, code: "INVALID_CALLBACKURL", message: "Invalid callbackURL",
        detail: "callbackURL must be a path on this site or a URL on the auth base URL's or a trusted origin. "
            + "Add its origin to auth.trusted_origins.")

    /// 429: too many requests for this client and path. BetterAuth sends only the message and `X-Retry-After`.
    public static func tooManyRequests(retryAfter: Int) -> AuthError {
        AuthError(
            stackCode: "STACK-A008", status: 429, code: "TOO_MANY_REQUESTS",
            message: "Too many requests. Please try again later.",
            detail: "Rate limit reached for this client and path; retry after \(retryAfter) s.")
    }

    /// 400: a required body field is missing or has the wrong type.
    public static func validation(_ field: String) -> AuthError {
        AuthError(
            stackCode: "STACK-A009", status: 400, code: "VALIDATION_ERROR", message: "Validation Error",
            detail: "The request body field '\(field)' is missing or has the wrong type.")
    }

    /// 400: an empty or non-string password.
    public static let invalidPassword = AuthError(
        stackCode: "STACK-A010", status: 400, code: "INVALID_PASSWORD", message: "Invalid password",
        detail: "The password is empty. Send a non-empty password.")

    /// 401: a JWT that is malformed, badly signed, expired or for another issuer/audience.
    public static func invalidToken(_ reason: String) -> AuthError {
        AuthError(
            stackCode: "STACK-A011", status: 401, code: "INVALID_TOKEN", message: "Invalid token",
            detail: "JWT rejected: \(reason). Fetch a new token from /api/auth/token.")
    }
}
