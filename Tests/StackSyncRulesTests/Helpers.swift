import Foundation
import Testing

@testable import StackSyncRules

/// Compiles rules from a YAML string, failing the test with the issues when invalid.
func rules(_ yaml: String) throws -> SyncRules {
    try SyncRules.parse(yaml: yaml, file: "test.yaml")
}

/// The issues a document produces (empty when it compiles without errors).
func issues(_ yaml: String) -> [SyncRulesIssue] {
    do {
        return try SyncRules.parse(yaml: yaml).warnings
    } catch {
        return error.issues
    }
}

/// Rules with one global bucket whose data query selects `expression AS v` from table `t`.
func evaluate(_ expression: String, row: SQLiteRow = ["id": "r1"]) throws -> SQLiteValue? {
    let compiled = try SyncRules.parse(definitions: [
        BucketDefinitionSource(name: "b", dataQueries: [QuerySource(sql: "SELECT id, \(expression) AS v FROM t")])
    ])
    let result = compiled.evaluateRowWithErrors(table: "t", row: row)
    if let error = result.errors.first { throw SQLEvaluationError(error.message) }
    return result.rows.first?.data["v"]
}

/// Loads a fixture file.
func fixture(_ name: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
    return try String(contentsOf: url, encoding: .utf8)
}
