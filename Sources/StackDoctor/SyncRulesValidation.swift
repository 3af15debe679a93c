import StackBuckets
import StackConfig
import StackSyncRules

/// The config's sync rules compiled and checked against a schema: what `stack sync-rules check`, `stack doctor` and
/// `stack sync reload` report.
public struct SyncRulesValidation: Sendable {
    /// The file positions refer to.
    public let file: String?
    /// Bucket definitions, when the rules compile.
    public let definitionCount: Int
    /// Compiler problems, then schema problems; errors and warnings.
    public let issues: [SyncRulesIssue]

    /// The errors among `issues`.
    public var errors: [SyncRulesIssue] { issues.filter { $0.severity == .error } }
    /// The warnings among `issues`.
    public var warnings: [SyncRulesIssue] { issues.filter { $0.severity == .warning } }

    /// Compiles `document` and validates it against `schema` (table name → column names).
    public init(document: SyncRulesDocument, schema: [String: [String]]) {
        file = document.file
        do {
            let rules = try SyncRulesLoader.rules(document)
            definitionCount = rules.definitionNames.count
            issues = rules.warnings + rules.validate(against: schema)
        } catch {
            definitionCount = 0
            issues = error.issues
        }
    }

    /// Validates the config's rules against the config's synced tables; nil when it has no rules.
    public init?(config: StackConfig) {
        guard let document = config.syncRules else { return nil }
        self.init(document: document, schema: Self.schemaMap(config.schema))
    }

    /// Table name → column names of the synced tables.
    public static func schemaMap(_ schema: AppSchema) -> [String: [String]] {
        var map: [String: [String]] = [:]
        for table in schema.syncedTables { map[table.name] = table.columns.map(\.name) }
        return map
    }
}

/// Doctor's view of the sync rules: the same problems as `stack sync-rules check`, errors as errors.
enum SyncRulesChecks {
    static func evaluate(_ config: StackConfig) -> [DoctorCheck] {
        guard let validation = SyncRulesValidation(config: config) else {
            return [
                DoctorCheck(
                    group: "sync rules", name: "sync rules valid", status: .skipped,
                    observed: "the config has no sync_rules: nothing replicates",
                    fix: "add sync_rules to \(config.file)")
            ]
        }
        guard !validation.issues.isEmpty else {
            return [
                DoctorCheck(
                    group: "sync rules", name: "sync rules valid", status: .ok,
                    observed: "\(validation.definitionCount) bucket definition(s), every table and column in the schema"
                )
            ]
        }
        return validation.issues.map { issue in
            let place = [validation.file, issue.line.map(String.init), issue.column.map(String.init)]
                .compactMap { $0 }.joined(separator: ":")
            return DoctorCheck(
                group: "sync rules", name: "sync rules valid", status: issue.severity == .error ? .error : .warning,
                observed: issue.formatted(file: validation.file),
                fix: issue.code == .schema
                    ? "fix the name at \(place), or add it to schema.tables (stack sync-rules check lists every problem)"
                    : "edit the rule at \(place) (stack sync-rules check lists every problem)")
        }
    }
}
