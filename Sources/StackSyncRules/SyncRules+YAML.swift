import Yams

/// Reading a whole sync-rules YAML document (`bucket_definitions:`), with line/column positions from Yams.
extension SyncRules {
    /// Parses and compiles a sync-rules document; throws `SyncRulesError` with every problem found.
    public static func parse(yaml: String, file: String? = nil) throws(SyncRulesError) -> SyncRules {
        var issues: [SyncRulesIssue] = []
        // Structural problems do not stop query compilation, so one run reports everything.
        let definitions = readDefinitions(yaml: yaml, issues: &issues)
        let compiled: SyncRules?
        do {
            compiled = try parse(definitions: definitions, file: file)
        } catch {
            compiled = nil
            issues += error.issues
        }
        // Stable sort keeps document order within a line; issues without a line come first.
        let sorted = issues.enumerated()
            .sorted { ($0.element.line ?? 0, $0.offset) < ($1.element.line ?? 0, $1.offset) }
            .map(\.element)
        guard let compiled, !sorted.contains(where: { $0.severity == .error }) else {
            throw SyncRulesError(issues: sorted, file: file)
        }
        return SyncRules(definitions: compiled.definitions, warnings: sorted + compiled.warnings, file: file)
    }

    static func readDefinitions(yaml: String, issues: inout [SyncRulesIssue]) -> [BucketDefinitionSource] {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            issues.append(yamlIssue(error))
            return []
        } catch {
            issues.append(SyncRulesIssue(code: .yaml, message: "Invalid YAML: \(error)"))
            return []
        }
        guard let mapping = root?.mapping else {
            issues.append(SyncRulesIssue(code: .yaml, message: "The sync rules must be a YAML mapping with a "
                + "'bucket_definitions' key.", line: root?.mark?.line, column: root?.mark?.column))
            return []
        }
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        for (key, value) in mapping {
            guard let name = key.string else { continue }
            switch name {
            case "bucket_definitions", "event_definitions": continue
            case "config":
                if let edition = value.mapping?["edition"], edition.int != 1 {
                    issues.append(SyncRulesIssue(code: .yaml, message: "config.edition \(edition.string ?? "?") is "
                        + "not supported: stack implements edition 1 (bucket_definitions). Remove the edition key.",
                        line: edition.mark?.line, column: edition.mark?.column))
                }
            case "streams":
                issues.append(SyncRulesIssue(code: .yaml, message: "'streams' (sync streams) are not supported; "
                    + "use bucket_definitions.", line: key.mark?.line, column: key.mark?.column))
            default:
                issues.append(SyncRulesIssue(code: .yaml, message: "Unknown top-level key '\(name)' is ignored.",
                    line: key.mark?.line, column: key.mark?.column, severity: .warning))
            }
        }
        guard let definitionsNode = mapping["bucket_definitions"] else {
            issues.append(SyncRulesIssue(code: .yaml, message: "'bucket_definitions' is required. Add a "
                + "bucket_definitions: mapping with at least one definition."))
            return []
        }
        guard let definitions = definitionsNode.mapping else {
            issues.append(SyncRulesIssue(code: .yaml, message: "'bucket_definitions' must be a mapping of "
                + "definition names to definitions.", line: definitionsNode.mark?.line,
                column: definitionsNode.mark?.column))
            return []
        }
        var result: [BucketDefinitionSource] = []
        for (key, value) in definitions {
            let name = key.string ?? ""
            if let source = readDefinition(name: name, key: key, value: value, lines: lines, issues: &issues) {
                result.append(source)
            }
        }
        return result
    }

    private static func readDefinition(name: String, key: Node, value: Node, lines: [Substring],
        issues: inout [SyncRulesIssue]) -> BucketDefinitionSource?
    {
        func problem(_ message: String, _ node: Node?, severity: SyncRulesIssue.Severity = .error) {
            issues.append(SyncRulesIssue(code: .yaml, message: message, definition: name,
                line: node?.mark?.line ?? key.mark?.line, column: node?.mark?.column ?? key.mark?.column,
                severity: severity))
        }
        guard let map = value.mapping else {
            problem("'\(name)' bucket definition must be an object", value)
            return nil
        }
        var source = BucketDefinitionSource(name: name, line: key.mark?.line, column: key.mark?.column)
        for (entryKey, entryValue) in map {
            switch entryKey.string ?? "" {
            case "parameters":
                if entryValue.scalar != nil {
                    source.parameterQueries = [querySource(entryValue, lines: lines)]
                } else if let sequence = entryValue.sequence {
                    for item in sequence {
                        guard item.scalar != nil else {
                            problem("Parameters must be a string or array of strings", item)
                            continue
                        }
                        source.parameterQueries.append(querySource(item, lines: lines))
                    }
                } else {
                    problem("Parameters must be a string or array of strings", entryValue)
                }
            case "data":
                guard let sequence = entryValue.sequence else {
                    problem("'data' must be a list of SQL queries", entryValue)
                    continue
                }
                for item in sequence {
                    guard item.scalar != nil else {
                        problem("Each data query must be a string", item)
                        continue
                    }
                    source.dataQueries.append(querySource(item, lines: lines))
                }
            case "priority":
                guard let priority = entryValue.int, (0...3).contains(priority) else {
                    problem("Invalid priority, expected a number between 0 and 3 (inclusive).", entryValue)
                    continue
                }
                source.priority = priority
            case "accept_potentially_dangerous_queries":
                guard let flag = entryValue.bool else {
                    problem("accept_potentially_dangerous_queries must be true or false", entryValue)
                    continue
                }
                source.acceptPotentiallyDangerousQueries = flag
            default:
                problem("Unknown key '\(entryKey.string ?? "")' in bucket definition '\(name)'. Allowed: parameters, "
                    + "data, priority, accept_potentially_dangerous_queries.", entryKey)
            }
        }
        if map["data"] == nil {
            problem("'data' is required: list the data queries of bucket definition '\(name)'.", key)
        }
        return source
    }

    /// Where the SQL text of a scalar starts: after the quote, or on the first content line of a block scalar.
    private static func querySource(_ node: Node, lines: [Substring]) -> QuerySource {
        guard let scalar = node.scalar, let mark = scalar.mark else { return QuerySource(sql: node.string ?? "") }
        switch scalar.style {
        case .singleQuoted, .doubleQuoted:
            return QuerySource(sql: scalar.string, line: mark.line, column: mark.column + 1)
        case .literal, .folded:
            var line = mark.line + 1
            while line - 1 < lines.count, lines[line - 1].allSatisfy(\.isWhitespace) { line += 1 }
            let indent = line - 1 < lines.count ? lines[line - 1].prefix(while: { $0 == " " }).count : 0
            return QuerySource(sql: scalar.string, line: line, column: indent + 1)
        default:
            return QuerySource(sql: scalar.string, line: mark.line, column: mark.column)
        }
    }

    private static func yamlIssue(_ error: YamlError) -> SyncRulesIssue {
        var line: Int?
        var column: Int?
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            line = mark.line
            column = mark.column
        default: break
        }
        return SyncRulesIssue(code: .yaml, message: "Invalid YAML: \(error)", line: line, column: column)
    }
}
