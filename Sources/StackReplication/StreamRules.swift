import StackBuckets
import StackConfig
import StackSyncRules

/// Sync rules a replication stream is built from: compiled, as canonical text, and the hash that names them.
public struct StreamRules: Sendable {
    /// The compiled rules.
    public let rules: SyncRules
    /// Canonical YAML (what the stream stores).
    public let content: String
    /// SHA-256 of `content`: equal rules ⇒ same stream.
    public let hash: String

    /// Compiles the config's rules; throws `SyncRulesError` with every problem and its position.
    public init(document: SyncRulesDocument) throws(SyncRulesError) {
        rules = try SyncRulesLoader.rules(document)
        content = SyncRulesLoader.content(document)
        hash = SyncRulesLoader.hash(content)
    }
}
