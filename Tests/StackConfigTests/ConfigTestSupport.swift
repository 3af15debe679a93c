import Foundation
import StackConfig

/// Parses config text the way `stack` does, with a fixed environment and file name.
func parse(_ yaml: String, environment: [String: String] = [:], file: String = "/project/stack.yaml") throws
    -> StackConfig
{
    try ConfigLoader(environment: environment, workingDirectory: "/project").parse(yaml, file: file)
}

/// The diagnostics a config text produces (empty when it is valid).
func diagnostics(_ yaml: String, environment: [String: String] = [:]) -> [ConfigDiagnostic] {
    do {
        _ = try parse(yaml, environment: environment)
        return []
    } catch ConfigError.invalid(let list) {
        return list
    } catch {
        return [ConfigDiagnostic(file: "?", line: 0, column: 0, key: "?", message: "\(error)")]
    }
}

/// The repository's annotated sample config, `dev/stack.yaml`.
let sampleConfigURL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("dev/stack.yaml")

/// The URL of a file in the test fixtures.
func fixture(_ name: String) -> URL {
    Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)!
}

/// A minimal valid synced table for tests that need a schema.
let minimalTable = """
    schema:
      tables:
        notes:
          columns:
            id: { type: text, primary_key: true }
            owner_id: text
    """
