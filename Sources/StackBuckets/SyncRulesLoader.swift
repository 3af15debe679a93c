import Foundation
import Crypto
import StackConfig
import StackSyncRules

/// The config's sync rules as compiled rules, canonical text and a hash that identifies a replication stream.
public enum SyncRulesLoader {
    /// The definitions as the compiler reads them, with their YAML positions.
    public static func definitions(_ document: SyncRulesDocument) -> [BucketDefinitionSource] {
        document.definitions.map { entry in
            BucketDefinitionSource(
                name: entry.name,
                parameterQueries: entry.parameters.map { QuerySource(sql: $0.sql, line: $0.line, column: $0.column) },
                dataQueries: entry.data.map { QuerySource(sql: $0.sql, line: $0.line, column: $0.column) },
                priority: entry.priority, acceptPotentiallyDangerousQueries: entry.acceptPotentiallyDangerousQueries,
                line: entry.line, column: entry.column)
        }
    }

    /// Compiles the rules; throws `SyncRulesError` with every problem (positions in `document.file`).
    public static func rules(_ document: SyncRulesDocument) throws(SyncRulesError) -> SyncRules {
        try SyncRules.parse(definitions: definitions(document), file: document.file)
    }

    /// Canonical YAML of the rules (positions and comments dropped): what a replication stream stores.
    public static func content(_ document: SyncRulesDocument) -> String {
        var lines = ["bucket_definitions:"]
        for entry in document.definitions {
            lines.append("  \(quote(entry.name)):")
            if let priority = entry.priority { lines.append("    priority: \(priority)") }
            if entry.acceptPotentiallyDangerousQueries { lines.append("    accept_potentially_dangerous_queries: true") }
            if !entry.parameters.isEmpty {
                lines.append("    parameters:")
                lines += entry.parameters.map { "      - \(quote($0.sql))" }
            }
            lines.append("    data:")
            lines += entry.data.map { "      - \(quote($0.sql))" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// SHA-256 hex of the canonical content: equal rules ⇒ same replication stream.
    public static func hash(_ content: String) -> String {
        SHA256.hash(data: Array(content.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    private static func quote(_ text: String) -> String {
        JSONValue.string(text).jsonText()
    }
}
