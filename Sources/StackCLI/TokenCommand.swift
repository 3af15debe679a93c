import ArgumentParser
import Foundation
import Logging
import StackAuth
import StackConfig
import StackCore
import StackPostgres
import StackServer

/// `stack token --email E`: prints a fresh JWT for a user (development convenience).
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Print a fresh RS256 JWT for a user, as GET /api/auth/token would issue it.",
        discussion: HelpText.reflow("""
            Works with the stack stopped: a managed Postgres that is not running is started for the command.
            The token is signed with the current key of the jwks table (one is created if there is none).
            """))

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "The user's email (case does not matter).")
    var email: String

    func run() async throws {
        let logger = global.logger()
        let config = try global.loadConfig()
        do {
            Console.out(try await Self.issue(config: config, email: email, logger: logger))
        } catch {
            Console.error(PostgresErrorText.describe(error))
            throw ExitCode(1)
        }
    }

    /// A fresh JWT for the user with `email`, against the configured database.
    static func issue(config: StackConfig, email: String, logger: Logger) async throws -> String {
        let secret = try SecretStore.resolve(config: config)
        let configuration = try AuthConfiguration(config: config, secret: secret)
        return try await CommandDatabase.withClient(config: config, logger: logger) { client in
            try await Migrator.run(AuthMigrations.all, namespace: AuthMigrations.namespace, client: client, logger: logger)
            let service = try AuthService(configuration: configuration, client: client, logger: logger)
            let address = try EmailAddress(email)
            guard let found = try await service.store.findUser(email: address.normalized) else {
                throw StackError(
                    "STACK-A041", "no user has the email \(address). Sign up first (POST /api/auth/sign-up/email).")
            }
            return try await service.issueToken(for: found.user)
        }
    }
}
