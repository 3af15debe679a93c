import Foundation
import StackCore
import Yams

/// Finds, reads and validates `stack.yaml`.
public struct ConfigLoader: Sendable {
    /// Environment used for `${NAME}` substitution.
    public var environment: [String: String]
    /// Directory relative paths are resolved against (the current directory by default).
    public var workingDirectory: String

    /// Creates a loader over the process environment and current directory.
    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) {
        self.environment = environment
        self.workingDirectory = workingDirectory
    }

    /// The config file to use: `explicit` if given, else `./stack.yaml`, else `dev/stack.yaml`.
    public func locate(explicit: String?) throws -> String {
        if let explicit {
            let path = absolute(explicit)
            guard FileManager.default.fileExists(atPath: path) else { throw ConfigError.notFound(searched: [path]) }
            return path
        }
        let candidates = ["stack.yaml", "dev/stack.yaml"].map(absolute)
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw ConfigError.notFound(searched: candidates)
        }
        return found
    }

    /// Locates and loads the configuration.
    public func load(explicit: String?) throws -> StackConfig {
        let file = try locate(explicit: explicit)
        return try parse(try Self.read(file), file: file)
    }

    private static func read(_ file: String) throws -> String {
        do {
            return try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ConfigError.unreadable(file: file, reason: "\(error.localizedDescription)")
        }
    }

    /// Only the config file and its `state_dir`, for commands that need nothing else (`down`, `status`): they must
    /// still find a running stack while the rest of the file is being edited. Throws when even that cannot be read.
    public func locateStateDirectory(explicit: String?) throws -> (file: String, stateDir: String) {
        let file = try locate(explicit: explicit)
        let text = try Self.read(file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError.invalid([Self.diagnostic(for: error, file: file)])
        }
        let reader = NodeReader(file: file, environment: environment)
        let node = root?.mapping?.first { $0.key.string == "state_dir" }?.value
        let stateDir = node.flatMap { reader.string($0, "state_dir") }
        if !reader.diagnostics.isEmpty { throw ConfigError.invalid(reader.diagnostics) }
        return (file, absolute(stateDir ?? ".stack"))
    }

    /// Parses configuration text; `file` is used for positions and relative `sync_rules.path`.
    public func parse(_ text: String, file: String) throws -> StackConfig {
        let root: Node
        do {
            root = try Yams.compose(yaml: text) ?? Node.mapping(Node.Mapping([]))
        } catch let error as YamlError {
            throw ConfigError.invalid([Self.diagnostic(for: error, file: file)])
        }
        let reader = NodeReader(file: file, environment: environment)
        let config = ConfigBuilder(reader: reader, loader: self).build(root)
        if !reader.diagnostics.isEmpty || config == nil {
            throw ConfigError.invalid(ConfigDiagnostic.inFileOrder(reader.diagnostics))
        }
        return config!
    }

    /// An absolute, standardised path for a path from the config or the command line.
    public func absolute(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        let joined = expanded.hasPrefix("/") ? expanded : workingDirectory + "/" + expanded
        return (joined as NSString).standardizingPath
    }

    static func diagnostic(for error: YamlError, file: String) -> ConfigDiagnostic {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return ConfigDiagnostic(
                file: file, line: mark.line, column: mark.column, key: "", message: "YAML syntax error: \(problem)")
        case .reader(let problem, let offset, _, let yaml):
            // Yams' description quotes the whole line, which may hold a secret: give the position only.
            let (line, column) = position(ofCharacter: offset ?? 0, in: yaml)
            return ConfigDiagnostic(
                file: file, line: line, column: column, key: "", message: "YAML syntax error: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigDiagnostic(
                file: file, line: context.mark.line, column: context.mark.column,
                key: duplicates.joined(separator: ", "),
                message: "duplicate key; each key may appear once in a mapping")
        default:
            return ConfigDiagnostic(file: file, line: 0, column: 0, key: "", message: "YAML error: \(error)")
        }
    }

    /// 1-based line and column of the character at `offset` (a reader error's position).
    static func position(ofCharacter offset: Int, in text: String) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for character in text.prefix(offset) {
            if character.isNewline {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }
}
