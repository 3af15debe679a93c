import Foundation
import StackCore
import Yams

/// Walks a composed YAML tree, converting scalars and collecting every problem with its position.
///
/// Nothing here throws: each reader returns nil on a problem and records it, so one pass reports all problems.
final class NodeReader {
    let file: String
    let environment: [String: String]
    private(set) var diagnostics: [ConfigDiagnostic] = []

    init(file: String, environment: [String: String]) {
        self.file = file
        self.environment = environment
    }

    func report(_ node: Node?, _ key: String, _ message: String) {
        let mark = node?.mark
        diagnostics.append(
            ConfigDiagnostic(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0, key: key, message: message))
    }

    /// The entries of a mapping, in order; unknown keys are reported with the nearest known key.
    func mapping(_ node: Node, _ path: String, known: [String]?) -> [(key: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let mapping) = node else {
            report(node, path, "expected a mapping (key: value lines) but found \(describe(node))")
            return nil
        }
        var entries: [(key: String, keyNode: Node, value: Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                report(keyNode, path, "keys must be plain words")
                continue
            }
            let key = scalar.string
            if let known, !known.contains(key) {
                var message = "unknown key '\(key)'"
                if let suggestion = Suggestion.nearest(to: key, in: known) {
                    message += "; did you mean '\(suggestion)'?"
                } else {
                    message += "; known keys: \(known.joined(separator: ", "))"
                }
                report(keyNode, join(path, key), message)
                continue
            }
            entries.append((key, keyNode, value))
        }
        return entries
    }

    /// A scalar as text, with `${NAME}` / `${NAME:-default}` substituted.
    func string(_ node: Node, _ path: String) -> String? {
        guard case .scalar(let scalar) = node else {
            report(node, path, "expected a text value but found \(describe(node))")
            return nil
        }
        if scalar.style == .plain && isNullLiteral(scalar.string) { return nil }
        return substitute(scalar.string, node: node, path: path)
    }

    /// A scalar as an integer.
    func int(_ node: Node, _ path: String) -> Int? {
        guard let text = string(node, path) else { return nil }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            report(node, path, "expected a whole number but found '\(text)'")
            return nil
        }
        return value
    }

    /// A scalar as a boolean (`true`/`false`, also `yes`/`no`).
    func bool(_ node: Node, _ path: String) -> Bool? {
        guard let text = string(node, path) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            report(node, path, "expected true or false but found '\(text)'")
            return nil
        }
    }

    /// A sequence's items; a single scalar is accepted as a one-item list when `allowSingle`.
    func sequence(_ node: Node, _ path: String, allowSingle: Bool = false) -> [Node]? {
        if case .sequence(let sequence) = node { return Array(sequence) }
        if allowSingle, case .scalar = node { return [node] }
        report(node, path, "expected a list but found \(describe(node))")
        return nil
    }

    /// Any node as a JSON value (for pass-through objects such as JWKs).
    func json(_ node: Node, _ path: String) -> JSONValue? {
        switch node {
        case .scalar(let scalar):
            guard let text = string(node, path) else { return .null }
            if scalar.style != .plain { return .string(text) }
            if let value = Int64(text) { return .integer(value) }
            if text == "true" || text == "false" { return .bool(text == "true") }
            return .string(text)
        case .sequence(let sequence):
            return .array(sequence.enumerated().compactMap { json($1, "\(path)[\($0)]") })
        case .mapping:
            var object: [String: JSONValue] = [:]
            for entry in mapping(node, path, known: nil) ?? [] {
                object[entry.key] = json(entry.value, join(path, entry.key))
            }
            return .object(object)
        case .alias:
            report(node, path, "YAML aliases are not supported here")
            return nil
        }
    }

    func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): Self.excerpt(scalar.string)
        case .sequence: "a list"
        case .mapping: "a mapping"
        case .alias: "an alias"
        }
    }

    /// A misplaced scalar for a message: quoted and cut short, and not shown at all when it may hold credentials
    /// (a URL or `user:password@`), since a key typo can leave a secret where a mapping was expected.
    static func excerpt(_ text: String) -> String {
        if text.contains("://") || text.contains("@") { return "a text value (not shown: it may hold credentials)" }
        return text.count > 40 ? "'\(text.prefix(40))…'" : "'\(text)'"
    }

    private func isNullLiteral(_ text: String) -> Bool { ["", "~", "null", "Null", "NULL"].contains(text) }

    // Substitution happens on scalar values after parsing, so a variable's value can never change
    // the YAML structure and every position stays the one in the file.
    private func substitute(_ text: String, node: Node, path: String) -> String? {
        guard text.contains("$") else { return text }
        var output = ""
        var index = text.startIndex
        var failed = false
        while index < text.endIndex {
            let rest = text[index...]
            if rest.hasPrefix("$${") {
                output += "${"
                index = text.index(index, offsetBy: 3)
            } else if rest.hasPrefix("${"), let close = rest.firstIndex(of: "}") {
                let body = String(rest[rest.index(rest.startIndex, offsetBy: 2)..<close])
                let (name, fallback) = splitDefault(body)
                if let value = environment[name], !(fallback != nil && value.isEmpty) {
                    output += value
                } else if let fallback {
                    output += fallback
                } else {
                    report(node, path, "environment variable \(name) is not set; set it or write ${\(name):-default}")
                    failed = true
                }
                index = text.index(after: close)
            } else {
                output.append(text[index])
                index = text.index(after: index)
            }
        }
        return failed ? nil : output
    }

    private func splitDefault(_ body: String) -> (String, String?) {
        guard let range = body.range(of: ":-") else { return (body, nil) }
        return (String(body[..<range.lowerBound]), String(body[range.upperBound...]))
    }
}
