import ArgumentParser
import Foundation
import StackAuth
import StackConfig
import StackCore
import StackPostgres
import StackServer

/// `stack auth …`: maintenance of the auth server's data.
struct AuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth", abstract: "Auth server maintenance.", subcommands: [RotateKeys.self])

    /// `stack auth rotate-keys [--grace 30d]`.
    struct RotateKeys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-keys",
            abstract: "Create a new JWT signing key; old public keys stay in the JWKS for the grace period.",
            discussion: HelpText.reflow(
                """
                Tokens signed with an old key keep verifying until the grace period ends, so set --grace to at
                least auth.jwt.expires_in. A running stack picks the new key up within seconds. Works with the
                stack stopped: a managed Postgres that is not running is started for the command.
                """))

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: "How long old public keys stay published (e.g. 30d, 12h, 0).")
        var grace: String = "30d"

        func validate() throws {
            guard DurationText.seconds(grace) != nil else {
                throw ValidationError("STACK-A042: --grace '\(grace)' is not a duration such as 30d, 12h or 900s.")
            }
        }

        func run() async throws {
            let logger = global.logger()
            let config = try global.loadConfig()
            guard let grace = DurationText.seconds(self.grace) else { throw ExitCode.validationFailure }
            if let warning = Self.graceWarning(grace: grace, text: self.grace, expiresIn: config.auth.jwtExpiresIn) {
                Console.error(warning)
            }
            do {
                let secret = try SecretStore.resolve(config: config)
                let configuration = try AuthConfiguration(config: config, secret: secret)
                let outcome = try await CommandDatabase.withClient(config: config, logger: logger) { client in
                    try await Migrator.run(
                        AuthMigrations.all, namespace: AuthMigrations.namespace, client: client, logger: logger)
                    let service = try AuthService(configuration: configuration, client: client, logger: logger)
                    // Refuses to rotate when the existing keys do not decrypt (a wrong secret would orphan them).
                    _ = try await service.validateStoredKeys()
                    return try await service.keys.rotate(grace: grace)
                }
                Console.out(
                    "new signing key \(outcome.newKeyID); \(outcome.retired) old key(s) stay published for "
                        + "\(self.grace)")
            } catch {
                Console.error(PostgresErrorText.describe(error))
                throw ExitCode(1)
            }
        }

        /// A grace period shorter than the token lifetime cuts off tokens signed with the old key before they expire:
        /// a warning, not a refusal (an operator retiring a leaked key wants exactly that).
        static func graceWarning(grace: Int, text: String, expiresIn: Int) -> String? {
            guard grace < expiresIn else { return nil }
            return "warning: --grace \(text) is shorter than auth.jwt.expires_in (\(expiresIn) s): tokens signed with "
                + "the old key stop verifying up to \(expiresIn - grace) s before they expire (clients must sign in "
                + "again); use --grace \(expiresIn)s or more to avoid that"
        }
    }
}
