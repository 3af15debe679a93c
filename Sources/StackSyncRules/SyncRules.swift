/// Compiled edition-1 PowerSync sync rules (`bucket_definitions`): pure evaluation of rows into buckets and of
/// requests into bucket lists.
public struct SyncRules: Sendable {
    let definitions: [BucketDefinition]
    /// Warnings found while compiling (errors make `parse` throw instead).
    public let warnings: [SyncRulesIssue]
    /// The file name given to `parse(yaml:file:)`, for messages.
    public let file: String?

    /// Compiles definitions whose YAML the caller already parsed; throws `SyncRulesError` listing every error.
    public static func parse(definitions: [BucketDefinitionSource], file: String? = nil) throws(SyncRulesError)
        -> SyncRules
    {
        var issues: [SyncRulesIssue] = []
        var seen: Set<String> = []
        var compiled: [BucketDefinition] = []
        for source in definitions {
            if !seen.insert(source.name).inserted {
                issues.append(SyncRulesIssue(code: .yaml, message: "Duplicate bucket definition name '\(source.name)'. "
                    + "Rename one of them.", definition: source.name, line: source.line, column: source.column))
                continue
            }
            compiled.append(BucketDefinition.compile(source, issues: &issues))
        }
        if issues.contains(where: { $0.severity == .error }) { throw SyncRulesError(issues: issues, file: file) }
        return SyncRules(definitions: compiled, warnings: issues, file: file)
    }

    /// Names of the bucket definitions, in document order.
    public var definitionNames: [String] { definitions.map(\.name) }

    /// Every source table the rules read (data and parameter queries), without duplicates, in document order.
    public var tables: [TableReference] {
        var result: [TableReference] = []
        for definition in definitions {
            for query in definition.parameterQueries {
                if case .table(let table) = query, !result.contains(table.sourceTable) {
                    result.append(table.sourceTable)
                }
            }
            for query in definition.dataQueries where !result.contains(query.sourceTable) {
                result.append(query.sourceTable)
            }
        }
        return result
    }

    /// Tables whose rows feed data queries (bucket contents).
    public var dataTables: [TableReference] {
        var result: [TableReference] = []
        for query in definitions.flatMap(\.dataQueries) where !result.contains(query.sourceTable) {
            result.append(query.sourceTable)
        }
        return result
    }

    /// Tables whose rows feed the parameter index.
    public var parameterTables: [TableReference] {
        var result: [TableReference] = []
        for case .table(let query) in definitions.flatMap(\.parameterQueries)
        where !result.contains(query.sourceTable) {
            result.append(query.sourceTable)
        }
        return result
    }

    /// The bucket parameter names of a definition (in bucket-name order), nil if unknown.
    public func bucketParameters(of definition: String) -> [String]? {
        definitions.first { $0.name == definition }?.bucketParameters
    }
}
