/// The first step of resolving a request's buckets: the buckets known from the request alone, and the
/// parameter-index lookups still needed for table-based parameter queries.
public struct BucketQuerier: Sendable {
    /// One table-based parameter query that needs index lookups.
    public struct PendingQuery: Sendable {
        /// The bucket definition name.
        public var definition: String
        /// 0-based index among the definition's parameter queries.
        public var queryIndex: Int
        /// The keys to read from the parameter index (may be empty: then the query yields nothing).
        public var lookups: [ParameterLookup]
        let query: TableParameterQuery
        let priority: Int
    }

    /// Buckets from request-only and `json_each` parameter queries.
    public var staticBuckets: [BucketDescription]
    /// Queries that need parameter-index lookups.
    public var pendingQueries: [PendingQuery]
    /// Evaluation failures (definition, query, message), e.g. invalid JSON in a claim.
    public var errors: [RowEvaluationError]
    /// Human-readable reasons, one per static bucket or pending lookup, for `explain`.
    public var reasons: [String]
    let request: RequestParameters
    let streamID: String?

    /// Every lookup needed, without duplicates.
    public var lookups: [ParameterLookup] {
        var seen: Set<ParameterLookup> = []
        return pendingQueries.flatMap(\.lookups).filter { seen.insert($0).inserted }
    }

    /// True when the bucket list depends on the parameter index.
    public var hasDynamicBuckets: Bool { pendingQueries.contains { !$0.lookups.isEmpty } }
}

extension SyncRules {
    /// Computes the request-only buckets and the index lookups the table-based parameter queries need.
    /// `streamID` adds the versioned `"<id>#"` prefix to every bucket name.
    public func querier(for request: RequestParameters, streamID: String? = nil) -> BucketQuerier {
        var staticBuckets: [BucketDescription] = []
        var pending: [BucketQuerier.PendingQuery] = []
        var errors: [RowEvaluationError] = []
        var reasons: [String] = []
        for definition in definitions {
            for (index, query) in definition.parameterQueries.enumerated() {
                let label = "\(definition.name) parameter query \(index + 1)"
                do {
                    switch query {
                    case .requestOnly(let staticQuery):
                        guard let values = try staticQuery.evaluate(request) else {
                            reasons.append("\(label): request filter is false, no bucket (\(staticQuery.sql))")
                            continue
                        }
                        let name = BucketNames.name(definition: definition.name, parameters: values, streamID: streamID)
                        staticBuckets.append(BucketDescription(name: name, priority: staticQuery.priority,
                            definition: definition.name))
                        reasons.append("\(label): \(name) from the request (\(staticQuery.sql))")
                    case .tableValued(let valuedQuery):
                        let rows = try valuedQuery.evaluate(request)
                        for values in rows {
                            let name = BucketNames.name(definition: definition.name, parameters: values,
                                streamID: streamID)
                            staticBuckets.append(BucketDescription(name: name, priority: valuedQuery.priority,
                                definition: definition.name))
                            reasons.append("\(label): \(name) from json_each (\(valuedQuery.sql))")
                        }
                        if rows.isEmpty { reasons.append("\(label): json_each produced no rows (\(valuedQuery.sql))") }
                    case .table(let tableQuery):
                        let lookups = try tableQuery.lookups(definition: definition.name, request: request)
                        pending.append(BucketQuerier.PendingQuery(definition: definition.name, queryIndex: index,
                            lookups: lookups, query: tableQuery, priority: tableQuery.priority))
                        let keys = lookups.map(\.serializedKey).joined(separator: ", ")
                        reasons.append(lookups.isEmpty
                            ? "\(label): no lookup (a request value is missing) (\(tableQuery.sql))"
                            : "\(label): looks up \(tableQuery.sourceTable) index with \(keys) (\(tableQuery.sql))")
                    }
                } catch {
                    errors.append(RowEvaluationError(definition: definition.name, queryIndex: index,
                        message: error.message))
                    reasons.append("\(label): failed: \(error.message)")
                }
            }
        }
        return BucketQuerier(staticBuckets: staticBuckets, pendingQueries: pending, errors: errors, reasons: reasons,
            request: request, streamID: streamID)
    }
}

extension BucketQuerier {
    /// The final bucket list: static buckets plus one bucket per index row found for each lookup
    /// (`lookupResults[lookup]` = the stored `bucketParameters` rows). Duplicates merge, keeping the
    /// highest priority (lowest number); order is first appearance.
    public func resolveBuckets(lookupResults: [ParameterLookup: [SQLiteRow]]) -> [BucketDescription] {
        resolve(lookupResults: lookupResults).buckets
    }

    func resolve(lookupResults: [ParameterLookup: [SQLiteRow]]) -> (buckets: [BucketDescription], reasons: [String]) {
        var all = staticBuckets
        var reasons: [String] = []
        for pendingQuery in pendingQueries {
            let rows = pendingQuery.lookups.flatMap { lookupResults[$0] ?? [] }
            let label = "\(pendingQuery.definition) parameter query \(pendingQuery.queryIndex + 1)"
            guard let parameterSets = try? pendingQuery.query.bucketParameterValues(rows: rows, request: request)
            else { continue }
            for values in parameterSets {
                let name = BucketNames.name(definition: pendingQuery.definition, parameters: values,
                    streamID: streamID)
                all.append(BucketDescription(name: name, priority: pendingQuery.priority,
                    definition: pendingQuery.definition))
                reasons.append("\(label): \(name) from the parameter index")
            }
            if parameterSets.isEmpty && !pendingQuery.lookups.isEmpty {
                reasons.append("\(label): the parameter index has no rows for these lookups")
            }
        }
        var order: [String] = []
        var merged: [String: BucketDescription] = [:]
        for bucket in all {
            if var existing = merged[bucket.name] {
                existing.priority = min(existing.priority, bucket.priority)
                merged[bucket.name] = existing
            } else {
                order.append(bucket.name)
                merged[bucket.name] = bucket
            }
        }
        return (order.map { merged[$0]! }, reasons)
    }

    /// Lines explaining which definitions and queries produced which buckets for this request.
    public func explain(lookupResults: [ParameterLookup: [SQLiteRow]] = [:]) -> [String] {
        let (buckets, dynamicReasons) = resolve(lookupResults: lookupResults)
        var lines = ["user \(request.userID):"]
        lines += (reasons + dynamicReasons).map { "  " + $0 }
        lines += errors.map { "  error in \($0.definition) parameter query \($0.queryIndex + 1): \($0.message)" }
        lines.append("buckets (\(buckets.count)):")
        lines += buckets.map { "  \($0.name) priority \($0.priority)" }
        return lines
    }
}

extension SyncRules {
    /// One-shot resolution when the caller can answer lookups synchronously (tests, CLI `explain`).
    public func buckets(for request: RequestParameters, streamID: String? = nil,
        lookup: (ParameterLookup) -> [SQLiteRow] = { _ in [] }) -> [BucketDescription]
    {
        let querier = querier(for: request, streamID: streamID)
        var results: [ParameterLookup: [SQLiteRow]] = [:]
        for key in querier.lookups { results[key] = lookup(key) }
        return querier.resolveBuckets(lookupResults: results)
    }

    /// `explain` for a request: reasons per definition/query and the final bucket list.
    public func explain(for request: RequestParameters, streamID: String? = nil,
        lookup: (ParameterLookup) -> [SQLiteRow] = { _ in [] }) -> [String]
    {
        let querier = querier(for: request, streamID: streamID)
        var results: [ParameterLookup: [SQLiteRow]] = [:]
        for key in querier.lookups { results[key] = lookup(key) }
        return querier.explain(lookupResults: results)
    }
}
