import Logging
import StackAuth

/// A demo user as it is in the database after seeding.
public struct SeededUser: Sendable, Codable, Equatable {
    /// Display name.
    public var name: String
    /// Sign-in email (normalized).
    public var email: String
    /// The demo password.
    public var password: String
    /// The user's id (`owner_id` of its rows).
    public var id: String
    /// Whether this run signed the user up (false: it existed and was reused).
    public var created: Bool
    /// Whether the demo password signs in (false only for a pre-existing user with another password).
    public var passwordMatches: Bool

    enum CodingKeys: String, CodingKey {
        case name, email, password, id, created
        case passwordMatches = "password_matches"
    }
}

/// Creates demo users exactly as `POST /api/auth/sign-up/email` does, or reuses existing ones.
struct SeedUsers {
    let service: AuthService
    let logger: Logger

    /// Checks emails and passwords against sign-up's rules before anything is written.
    static func check(_ users: [SampleUser], policy: PasswordPolicy) throws {
        for user in users {
            do {
                _ = try EmailAddress(user.email)
                try policy.check(user.password)
            } catch {
                throw SeedError.badUser(user.email, "\(error)")
            }
        }
    }

    /// The user for each sample user, signed up when its email is new.
    func ensure(_ users: [SampleUser]) async throws -> [SeededUser] {
        var seeded: [SeededUser] = []
        for sample in users {
            let email = try EmailAddress(sample.email).normalized
            if let found = try await service.store.findUser(email: email) {
                let matches =
                    try await found.passwordHash.asyncMap {
                        try await PasswordHasher().verify(sample.password, against: $0)
                    } ?? false
                seeded.append(
                    SeededUser(
                        name: found.user.name, email: email, password: sample.password, id: found.user.id,
                        created: false, passwordMatches: matches))
                continue
            }
            // The real sign-up: policy checks, BetterAuth's scrypt hash, "user" + credential "account" rows.
            // Its session is deleted right away (sign-out): seeding signs nobody in.
            let (session, user) = try await service.signUp(
                name: sample.name, email: sample.email, password: sample.password, image: nil, rememberMe: true,
                client: AuthService.Client(ipAddress: nil, userAgent: "stack seed"))
            try await service.signOut(token: session.token)
            logger.info("seed user created", metadata: ["user.id": "\(user.id)"])
            seeded.append(
                SeededUser(
                    name: user.name, email: user.email, password: sample.password, id: user.id, created: true,
                    passwordMatches: true))
        }
        return seeded
    }
}

extension Optional {
    fileprivate func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
