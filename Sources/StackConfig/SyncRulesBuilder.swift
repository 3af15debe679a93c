import Foundation
import StackCore
import Yams

/// Reads `sync_rules:` — inline `bucket_definitions` or `path:` to a PowerSync sync-rules file.
struct SyncRulesBuilder {
    let reader: NodeReader
    let loader: ConfigLoader

    func build(_ node: Node?) -> SyncRulesDocument? {
        guard let node else { return nil }
        let known = ["bucket_definitions", "path", "config"]
        guard let entries = reader.mapping(node, "sync_rules", known: known + ["streams"]) else { return nil }
        if let streams = entries.first(where: { $0.key == "streams" }) {
            reader.report(
                streams.keyNode, "sync_rules.streams",
                "sync streams (edition 2+) are not supported yet; use bucket_definitions")
        }
        if let path = entries.first(where: { $0.key == "path" }) {
            if entries.contains(where: { $0.key == "bucket_definitions" }) {
                reader.report(path.keyNode, "sync_rules.path", "give either path or bucket_definitions, not both")
            }
            return fromFile(path.value)
        }
        return definitions(entries, reader: reader, prefix: "sync_rules")
    }

    private func fromFile(_ node: Node) -> SyncRulesDocument? {
        guard let relative = reader.string(node, "sync_rules.path") else { return nil }
        // A relative rules path is relative to the config file, like PowerSync's `sync_rules.path`.
        let base = (reader.file as NSString).deletingLastPathComponent
        let file = relative.hasPrefix("/") ? relative : ((base + "/" + relative) as NSString).standardizingPath
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            reader.report(node, "sync_rules.path", "cannot read \(file)")
            return nil
        }
        let root: Node
        do {
            root = try Yams.compose(yaml: text) ?? Node.mapping(Node.Mapping([]))
        } catch let error as YamlError {
            let diagnostic = ConfigLoader.diagnostic(for: error, file: file)
            reader.report(node, "sync_rules.path", "\(diagnostic)")
            return nil
        } catch {
            reader.report(node, "sync_rules.path", "cannot parse \(file): \(error)")
            return nil
        }
        // Problems inside the rules file are reported against that file.
        let fileReader = NodeReader(file: file, environment: reader.environment)
        let known = ["bucket_definitions", "config", "streams", "event_definitions"]
        let entries = fileReader.mapping(root, "", known: known) ?? []
        let document = definitions(entries, reader: fileReader, prefix: "")
        for diagnostic in fileReader.diagnostics {
            reader.report(node, "sync_rules.path", "\(diagnostic)")
        }
        return document
    }

    private func definitions(
        _ entries: [(key: String, keyNode: Node, value: Node)], reader: NodeReader, prefix: String
    ) -> SyncRulesDocument? {
        var result: [BucketDefinitionEntry] = []
        for (key, keyNode, value) in entries {
            let path = reader.join(prefix, key)
            switch key {
            case "config":
                for (key, _, value) in reader.mapping(value, path, known: ["edition"]) ?? [] {
                    if let edition = reader.int(value, "\(path).\(key)"), edition != 1 {
                        reader.report(value, "\(path).\(key)", "only edition 1 (bucket_definitions) is supported")
                    }
                }
            case "bucket_definitions":
                for (name, nameNode, definition) in reader.mapping(value, path, known: nil) ?? [] {
                    if let entry = definitionEntry(name, nameNode, definition, reader: reader, path: "\(path).\(name)")
                    {
                        result.append(entry)
                    }
                }
            case "streams":
                reader.report(keyNode, path, "sync streams (edition 2+) are not supported yet; use bucket_definitions")
            default:
                continue
            }
        }
        return SyncRulesDocument(file: reader.file, definitions: result)
    }

    private func definitionEntry(
        _ name: String, _ nameNode: Node, _ node: Node, reader: NodeReader, path: String
    ) -> BucketDefinitionEntry? {
        let known = ["parameters", "data", "priority", "accept_potentially_dangerous_queries"]
        guard let entries = reader.mapping(node, path, known: known) else { return nil }
        var entry = BucketDefinitionEntry(
            name: name, line: nameNode.mark?.line ?? 0, column: nameNode.mark?.column ?? 0, parameters: [], data: [],
            priority: nil, acceptPotentiallyDangerousQueries: false)
        for (key, _, value) in entries {
            let keyPath = "\(path).\(key)"
            switch key {
            case "parameters": entry.parameters = sql(value, keyPath, reader: reader)
            case "data": entry.data = sql(value, keyPath, reader: reader)
            case "priority":
                entry.priority = reader.int(value, keyPath)
                if let priority = entry.priority, !(0...3).contains(priority) {
                    reader.report(value, keyPath, "must be 0 (highest) to 3 (default)")
                }
            default: entry.acceptPotentiallyDangerousQueries = reader.bool(value, keyPath) ?? false
            }
        }
        if entry.data.isEmpty {
            reader.report(nameNode, path, "bucket definition has no data queries; add data: [SELECT … FROM …]")
        }
        return entry
    }

    private func sql(_ node: Node, _ path: String, reader: NodeReader) -> [SQLEntry] {
        (reader.sequence(node, path, allowSingle: true) ?? []).compactMap { item in
            guard case .scalar(let scalar) = item else {
                reader.report(item, path, "each query must be an SQL string")
                return nil
            }
            return SQLEntry(sql: scalar.string, line: item.mark?.line ?? 0, column: item.mark?.column ?? 0)
        }
    }
}
