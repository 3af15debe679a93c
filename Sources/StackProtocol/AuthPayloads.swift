/// `POST /api/auth/sign-up/email` body.
public struct SignUpRequest: Sendable, Equatable, Codable {
    /// Display name.
    public var name: String
    /// Email address.
    public var email: String
    /// Password (8–128 characters).
    public var password: String
    /// Optional avatar URL.
    public var image: String?

    /// Creates a body.
    public init(name: String, email: String, password: String, image: String? = nil) {
        self.name = name
        self.email = email
        self.password = password
        self.image = image
    }
}

/// `POST /api/auth/sign-in/email` body.
public struct SignInRequest: Sendable, Equatable, Codable {
    /// Email address.
    public var email: String
    /// Password.
    public var password: String
    /// Longer session when true.
    public var rememberMe: Bool?

    /// Creates a body.
    public init(email: String, password: String, rememberMe: Bool? = nil) {
        self.email = email
        self.password = password
        self.rememberMe = rememberMe
    }
}

/// The response of sign-up and sign-in: `{token, user}` (sign-in adds `redirect: false`).
public struct AuthSessionResponse: Sendable, Equatable, Codable {
    /// Present on sign-in.
    public var redirect: Bool?
    /// The session token (the bearer credential).
    public var token: String?
    /// The signed-in user.
    public var user: AuthUserPayload

    /// Creates a response.
    public init(redirect: Bool? = nil, token: String?, user: AuthUserPayload) {
        self.redirect = redirect
        self.token = token
        self.user = user
    }
}

/// The user fields a client reads from BetterAuth responses (dates kept as their strings).
public struct AuthUserPayload: Sendable, Equatable, Codable {
    /// User id (the JWT `sub`).
    public var id: String
    /// Email address.
    public var email: String
    /// Display name.
    public var name: String
    /// Whether the email was verified.
    public var emailVerified: Bool?
    /// Avatar URL.
    public var image: String?
    /// ISO 8601 creation time.
    public var createdAt: String?
    /// ISO 8601 update time.
    public var updatedAt: String?

    /// Creates a user payload.
    public init(
        id: String, email: String, name: String, emailVerified: Bool? = nil, image: String? = nil,
        createdAt: String? = nil, updatedAt: String? = nil
    ) {
        self.id = id
        self.email = email
        self.name = name
        self.emailVerified = emailVerified
        self.image = image
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// `GET /api/auth/token` response: `{token}` (the RS256 JWT).
public struct TokenResponse: Sendable, Equatable, Codable {
    /// The JWT.
    public var token: String

    /// Creates a response.
    public init(token: String) {
        self.token = token
    }
}

/// BetterAuth's error body: `{code, message}`.
public struct AuthErrorBody: Sendable, Equatable, Codable {
    /// E.g. `INVALID_EMAIL_OR_PASSWORD`.
    public var code: String?
    /// What is wrong.
    public var message: String?

    /// Creates an error body.
    public init(code: String?, message: String?) {
        self.code = code
        self.message = message
    }
}

/// `GET /api/powersync/config` response: `{powersyncUrl, userId}`.
public struct PowerSyncConfigResponse: Sendable, Equatable, Codable {
    /// Base URL of the sync service.
    public var powersyncUrl: String
    /// The signed-in user's id.
    public var userId: String

    /// Creates a response.
    public init(powersyncUrl: String, userId: String) {
        self.powersyncUrl = powersyncUrl
        self.userId = userId
    }
}
