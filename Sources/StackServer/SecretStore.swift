import Crypto
import Foundation
import StackConfig
import StackCore

/// Resolves `auth.secret`: the configured one, or one generated once and kept in the state directory.
public enum SecretStore {
    /// The secret to use; generates `<state_dir>/auth-secret` (mode 0600) on first use when none is configured.
    public static func resolve(config: StackConfig) throws -> String {
        if let secret = config.auth.secret { return secret }
        let path = config.stateDir + "/auth-secret"
        if let existing = try? String(contentsOfFile: path, encoding: .utf8) {
            let trimmed = existing.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { return trimmed }
        }
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        let secret = bytes.base64EncodedString()
        try FileManager.default.createDirectory(atPath: config.stateDir, withIntermediateDirectories: true)
        guard
            FileManager.default.createFile(
                atPath: path, contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw StackError("STACK-S003", "cannot write \(path); check that the state directory is writable")
        }
        return secret
    }
}
