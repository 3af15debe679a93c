import StackConfig
import StackReplication

/// A config file's sync rules as a reload sees them: compiled, invalid (with positions) or absent.
public enum ReloadableRules: Sendable {
    /// Compiled rules.
    case rules(StreamRules)
    /// The config or its rules have errors.
    case invalid([ReloadStatus.Problem])
    /// The config has no sync rules.
    case removed

    /// Loads and compiles the sync rules of a config file exactly as `stack up` does.
    public static func load(configFile: String) -> ReloadableRules {
        let config: StackConfig
        do {
            config = try ConfigLoader().load(explicit: configFile)
        } catch let error as ConfigError {
            return .invalid(ReloadStatus.problems(error))
        } catch {
            return .invalid([
                ReloadStatus.Problem(
                    file: configFile, line: 0, column: 0, code: "STACK-C002", message: "\(error)",
                    formatted: "\(configFile): \(error)")
            ])
        }
        guard let document = config.syncRules, !document.definitions.isEmpty else { return .removed }
        do {
            return .rules(try StreamRules(document: document))
        } catch {
            return .invalid(ReloadStatus.problems(error, file: document.file))
        }
    }
}
