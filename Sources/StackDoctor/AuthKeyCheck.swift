import Foundation
import Logging
import PostgresNIO
import StackAuth
import StackConfig
import StackPostgres

/// Whether the auth secret decrypts the signing keys in `jwks`: with a changed secret `stack up` refuses to start
/// (STACK-A032), and this check says why and what is safe to do. The secret itself is never shown.
enum AuthKeyCheck {
    static let name = "auth secret decrypts the signing keys"

    static func evaluate(config: StackConfig, client: PostgresClient, logger: Logger) async -> DoctorCheck {
        let store = AuthStore(client: client, logger: logger)
        let rows: [JWKSRow]
        do {
            guard try await store.hasKeysTable() else {
                return DoctorCheck(
                    group: "auth", name: name, status: .ok,
                    observed: "no jwks table yet (stack up creates it; the first key is made on demand)")
            }
            rows = try await store.loadKeys()
        } catch {
            return DoctorCheck(
                group: "auth", name: name, status: .error, observed: "reading jwks: \(PostgresErrorText.describe(error))",
                fix: "check that the role in postgres.url may read the \"jwks\" table")
        }
        let source = SecretSource(config: config)
        guard let secret = source.secret else {
            guard !rows.isEmpty else {
                return DoctorCheck(group: "auth", name: name, status: .ok, observed: "no signing keys yet")
            }
            return DoctorCheck(
                group: "auth", name: name, status: .error,
                observed: "\(rows.count) key(s) in jwks but no secret: auth.secret is not set and \(source.file) is missing",
                fix: "put the secret that encrypted them back (auth.secret in \(config.file), or \(source.file))\n"
                    + lostSecretFix(config))
        }
        let check: StoredKeyCheck
        do {
            check = StoredKeyCheck.run(rows: rows, encryption: try KeyEncryption(secret: secret))
        } catch {
            return DoctorCheck(group: "auth", name: name, status: .error, observed: "\(error)", fix: "apt-get install libsodium23")
        }
        guard !check.failures.isEmpty else {
            return DoctorCheck(
                group: "auth", name: name, status: .ok,
                observed: check.published == 0
                    ? "no signing keys yet" : "\(check.loaded.count) published key(s) load with \(source.description)")
        }
        let kids = check.failures.map(\.kid).joined(separator: ", ")
        let reason = check.failures[0].error
        let quoted = check.failures.map { "'" + $0.kid.replacingOccurrences(of: "'", with: "''") + "'" }
            .joined(separator: ", ")
        guard StoredKeyCheck.isWrongSecret(reason) else {
            return DoctorCheck(
                group: "auth", name: name, status: .error,
                observed: "\(check.failures.count) of \(check.published) published key(s) are unusable (kid \(kids)): "
                    + reason.description,
                fix: "delete the broken row(s): psql \"$DATABASE_URL\" -c \"DELETE FROM jwks WHERE id IN (\(quoted))\"\n"
                    + "tokens signed with them stop verifying; stack makes a new key if none is left")
        }
        return DoctorCheck(
            group: "auth", name: name, status: .error,
            observed: "\(check.failures.count) of \(check.published) published key(s) cannot be decrypted with "
                + "\(source.description) (kid \(kids)): the secret changed since they were created; "
                + "stack up refuses to start (STACK-A032)",
            fix: "restore the secret that created the keys (auth.secret in \(config.file), or \(source.file)): "
                + "the safe fix, nothing is lost\n" + lostSecretFix(config))
    }

    /// What to do when the old secret is gone; `stack auth rotate-keys` is not it (it refuses, like startup).
    static func lostSecretFix(_ config: StackConfig) -> String {
        "only if that secret is lost: psql \"$DATABASE_URL\" -c 'DELETE FROM jwks' and restart stack, which makes a "
            + "new key; JWTs already issued stop verifying (clients fetch new ones) and cookie sessions signed with "
            + "the old secret must sign in again\n"
            + "stack auth rotate-keys does not help: it refuses while the stored keys cannot be decrypted"
    }
}

/// Where the auth secret comes from, read without creating it (SecretStore in StackServer creates it on `stack up`).
struct SecretSource: CustomStringConvertible {
    let secret: String?
    let file: String
    let configured: Bool

    init(config: StackConfig) {
        file = config.stateDir + "/auth-secret"
        if let secret = config.auth.secret {
            self.secret = secret
            configured = true
        } else {
            let stored = (try? String(contentsOfFile: file, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            secret = (stored?.isEmpty ?? true) ? nil : stored
            configured = false
        }
    }

    /// Names the source, never the value.
    var description: String { configured ? "auth.secret from the config" : "the secret in \(file)" }
}
