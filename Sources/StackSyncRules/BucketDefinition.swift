/// A compiled legacy bucket definition: its parameter queries decide which buckets a user gets, its data
/// queries decide which rows go into which bucket.
///
/// A class, immutable once compiled: every replicated row is evaluated against each definition, where a struct cost
/// a retain and a release of each of its fields per row.
final class BucketDefinition: Sendable {
    let name: String
    let bucketParameters: [String]
    let parameterQueries: [ParameterQuery]
    let dataQueries: [DataQuery]
    let source: BucketDefinitionSource

    init(
        name: String, bucketParameters: [String], parameterQueries: [ParameterQuery], dataQueries: [DataQuery],
        source: BucketDefinitionSource
    ) {
        self.name = name
        self.bucketParameters = bucketParameters
        self.parameterQueries = parameterQueries
        self.dataQueries = dataQueries
        self.source = source
    }

    /// Compiles one definition, appending every problem to `issues`.
    static func compile(_ source: BucketDefinitionSource, issues: inout [SyncRulesIssue]) -> BucketDefinition {
        if let priority = source.priority, !(0...3).contains(priority) {
            issues.append(SyncRulesIssue(code: .priority,
                message: "Invalid priority, expected a number between 0 and 3 (inclusive). Got \(priority).",
                definition: source.name, line: source.line, column: source.column))
        }
        let parameterSources = source.parameterQueries.isEmpty
            ? [QuerySource(sql: "SELECT", line: source.line, column: source.column)] : source.parameterQueries
        var parameterQueries: [ParameterQuery] = []
        var bucketParameters: [String]?
        for (index, querySource) in parameterSources.enumerated() {
            var context = QueryContext(definition: source.name, queryIndex: index, kind: .parameter,
                source: querySource)
            let query = ParameterQuery.compile(&context, queryID: String(index + 1),
                definitionPriority: source.priority, acceptDangerous: source.acceptPotentiallyDangerousQueries)
            if let query {
                if let expected = bucketParameters {
                    if Set(expected) != Set(query.bucketParameters) || expected.count != query.bucketParameters.count {
                        context.add(.bucketParameters, "Bucket parameters must match for each parameter query within "
                            + "a bucket. Expected \(expected) but this query selects \(query.bucketParameters).",
                            at: nil)
                    }
                } else {
                    bucketParameters = query.bucketParameters
                }
                parameterQueries.append(query)
            }
            issues += context.issues
        }
        let parameters = bucketParameters ?? []
        var dataQueries: [DataQuery] = []
        for (index, querySource) in source.dataQueries.enumerated() {
            var context = QueryContext(definition: source.name, queryIndex: index, kind: .data, source: querySource)
            // A definition whose parameter queries all failed cannot check coverage meaningfully.
            if bucketParameters == nil, !parameterQueries.isEmpty || !source.parameterQueries.isEmpty {
                _ = context.parse()
                issues += context.issues
                continue
            }
            if let query = DataQuery.compile(&context, bucketParameters: parameters) { dataQueries.append(query) }
            issues += context.issues
        }
        return BucketDefinition(name: source.name, bucketParameters: parameters, parameterQueries: parameterQueries,
            dataQueries: dataQueries, source: source)
    }
}
