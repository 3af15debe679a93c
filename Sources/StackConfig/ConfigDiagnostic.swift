/// One problem found in a config file, with its position.
public struct ConfigDiagnostic: Sendable, Equatable, CustomStringConvertible {
    /// The file the problem is in.
    public var file: String
    /// 1-based line (0 when unknown).
    public var line: Int
    /// 1-based column (0 when unknown).
    public var column: Int
    /// Dotted key path (`schema.tables.documents.columns.id`).
    public var key: String
    /// What is wrong and what to do.
    public var message: String

    /// Creates a diagnostic.
    public init(file: String, line: Int, column: Int, key: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.message = message
    }

    /// `diagnostics` as a reader meets them in the file: by line and column within each file (files in the order
    /// their first problem was found, problems at one position in the order found), not in the order the sections
    /// happen to be checked.
    public static func inFileOrder(_ diagnostics: [ConfigDiagnostic]) -> [ConfigDiagnostic] {
        var fileOrder: [String: Int] = [:]
        for diagnostic in diagnostics where fileOrder[diagnostic.file] == nil {
            fileOrder[diagnostic.file] = fileOrder.count
        }
        return diagnostics.enumerated().sorted { a, b in
            (fileOrder[a.element.file]!, a.element.line, a.element.column, a.offset)
                < (fileOrder[b.element.file]!, b.element.line, b.element.column, b.offset)
        }.map(\.element)
    }

    /// `file:line:column: key: message`.
    public var description: String {
        let keyPart = key.isEmpty ? "" : "\(key): "
        return "\(file):\(line):\(column): \(keyPart)\(message)"
    }
}

/// Why a configuration could not be loaded.
public enum ConfigError: Error, CustomStringConvertible, Sendable {
    /// No file at the given path or at any default location.
    case notFound(searched: [String])
    /// The file exists but cannot be read.
    case unreadable(file: String, reason: String)
    /// The file was read; these are all its problems.
    case invalid([ConfigDiagnostic])

    /// The stable code of this error.
    public var code: String {
        switch self {
        case .notFound: "STACK-C001"
        case .unreadable: "STACK-C002"
        case .invalid: "STACK-C003"
        }
    }

    /// Every problem on its own line, then a count.
    public var description: String {
        switch self {
        case .notFound(let searched):
            return "\(code): no config file found (looked for \(searched.joined(separator: ", "))). "
                + "Pass --config PATH or copy dev/stack.yaml to ./stack.yaml."
        case .unreadable(let file, let reason):
            return "\(code): cannot read config file \(file): \(reason)"
        case .invalid(let diagnostics):
            let count = diagnostics.count == 1 ? "1 problem" : "\(diagnostics.count) problems"
            return diagnostics.map(\.description).joined(separator: "\n") + "\n\(code): \(count) in the config file"
        }
    }
}
