import StackCore
import Yams

/// Reads `schema.tables` and checks the rules every synced table must follow.
struct SchemaBuilder {
    let reader: NodeReader

    func build(_ node: Node?) -> AppSchema {
        guard let node else { return AppSchema(tables: []) }
        var tables: [TableSchema] = []
        for (_, _, value) in reader.mapping(node, "schema", known: ["tables"]) ?? [] {
            for (name, keyNode, tableNode) in reader.mapping(value, "schema.tables", known: nil) ?? [] {
                if let table = table(name, keyNode: keyNode, tableNode) { tables.append(table) }
            }
        }
        return AppSchema(tables: tables)
    }

    private func table(_ name: String, keyNode: Node, _ node: Node) -> TableSchema? {
        let path = "schema.tables.\(name)"
        if !Identifier.isValid(name) {
            reader.report(keyNode, path, "'\(name)' is not a valid table name: use lower-case letters, digits and _")
        }
        if name.hasPrefix("ps_") {
            reader.report(keyNode, path, "names starting with ps_ are reserved for the client's sync tables")
        }
        var localOnly = false
        var columns: [ColumnSchema] = []
        var indexes: [IndexSchema] = []
        var indexNodes: [Node] = []
        var columnsNode: Node?
        for (key, _, value) in reader.mapping(node, path, known: ["columns", "indexes", "local_only"]) ?? [] {
            switch key {
            case "local_only": localOnly = reader.bool(value, "\(path).local_only") ?? false
            case "columns":
                columnsNode = value
                for (columnName, columnKey, columnNode) in reader.mapping(value, "\(path).columns", known: nil) ?? [] {
                    if let column = column(columnName, keyNode: columnKey, columnNode, table: path) {
                        columns.append(column)
                    }
                }
            default:
                for (index, item) in (reader.sequence(value, "\(path).indexes") ?? []).enumerated() {
                    if let parsed = indexSchema(item, "\(path).indexes[\(index)]") {
                        indexes.append(parsed)
                        indexNodes.append(item)
                    }
                }
            }
        }
        let table = TableSchema(name: name, localOnly: localOnly, columns: columns, indexes: indexes)
        check(table, keyNode: keyNode, columnsNode: columnsNode, indexNodes: indexNodes, path: path)
        return table
    }

    private func check(_ table: TableSchema, keyNode: Node, columnsNode: Node?, indexNodes: [Node], path: String) {
        let anchor = columnsNode ?? keyNode
        if let id = table.column(named: "id") {
            if id.type != .text || !id.primaryKey {
                reader.report(
                    anchor, "\(path).columns.id",
                    "must be { type: text, primary_key: true }: sync needs a single text id")
            }
        } else {
            reader.report(anchor, "\(path).columns", "missing the id column; add id: { type: text, primary_key: true }")
        }
        for column in table.columns where column.primaryKey && column.name != "id" {
            reader.report(
                anchor, "\(path).columns.\(column.name)",
                "only id may be the primary key; enforce composite uniqueness with a unique index instead")
        }
        if !table.localOnly {
            if let owner = table.column(named: "owner_id") {
                if owner.type != .text {
                    reader.report(anchor, "\(path).columns.owner_id", "must be of type text (it holds the user id)")
                }
            } else {
                reader.report(
                    anchor, "\(path).columns",
                    "synced table has no owner_id column; add owner_id: text (the upload API fills it from the JWT)")
            }
        }
        for (index, node) in zip(table.indexes, indexNodes) {
            for column in index.columns where table.column(named: column) == nil {
                var message = "index column '\(column)' is not a column of \(table.name)"
                if let near = Suggestion.nearest(to: column, in: table.columns.map(\.name)) {
                    message += "; did you mean '\(near)'?"
                }
                reader.report(node, "\(path).indexes", message)
            }
        }
    }

    private func column(_ name: String, keyNode: Node, _ node: Node, table: String) -> ColumnSchema? {
        let path = "\(table).columns.\(name)"
        if !Identifier.isValid(name) {
            reader.report(keyNode, path, "'\(name)' is not a valid column name: use lower-case letters, digits and _")
        }
        // Short form: `title: text` is a nullable column without a default.
        if case .scalar = node {
            guard let type = columnType(node, path) else { return nil }
            return ColumnSchema(name: name, type: type, primaryKey: false, nullable: true, defaultValue: nil)
        }
        var type: ColumnType?
        var primaryKey = false
        var nullable: Bool?
        var defaultNode: Node?
        var sawType = false
        for (key, _, value) in reader.mapping(node, path, known: ["type", "primary_key", "nullable", "default"]) ?? [] {
            switch key {
            case "type":
                sawType = true
                type = columnType(value, "\(path).type")
            case "primary_key": primaryKey = reader.bool(value, "\(path).primary_key") ?? false
            case "nullable": nullable = reader.bool(value, "\(path).nullable")
            default: defaultNode = value
            }
        }
        guard let type else {
            if !sawType && node.isMapping {
                let names = ColumnType.allCases.map(\.rawValue).joined(separator: ", ")
                reader.report(node, "\(path).type", "missing; one of \(names)")
            }
            return nil
        }
        if primaryKey && nullable == true {
            reader.report(node, "\(path).nullable", "a primary key cannot be nullable")
        }
        let defaultValue = defaultNode.flatMap { columnDefault($0, type: type, "\(path).default") }
        return ColumnSchema(
            name: name, type: type, primaryKey: primaryKey, nullable: primaryKey ? false : (nullable ?? true),
            defaultValue: defaultValue)
    }

    private func columnType(_ node: Node, _ path: String) -> ColumnType? {
        guard let text = reader.string(node, path) else { return nil }
        guard let type = ColumnType(rawValue: text.lowercased()) else {
            let names = ColumnType.allCases.map(\.rawValue)
            var message = "unknown type '\(text)'"
            if let near = Suggestion.nearest(to: text, in: names) { message += "; did you mean '\(near)'?" }
            reader.report(node, path, message + " (types: \(names.joined(separator: ", ")))")
            return nil
        }
        return type
    }

    private func columnDefault(_ node: Node, type: ColumnType, _ path: String) -> ColumnDefault? {
        guard let text = reader.string(node, path) else { return nil }
        let mismatch = { reader.report(node, path, "'\(text)' is not a valid default for a \(type.rawValue) column") }
        switch type {
        case .text, .json: return .text(text)
        case .integer:
            guard let value = Int64(text) else { mismatch(); return nil }
            return .integer(value)
        case .real:
            guard let value = Double(text) else { mismatch(); return nil }
            return .real(value)
        case .boolean:
            switch text.lowercased() {
            case "true", "1": return .boolean(true)
            case "false", "0": return .boolean(false)
            default: mismatch(); return nil
            }
        case .timestamp:
            guard text.lowercased() == "now" else {
                reader.report(node, path, "timestamp columns accept only 'now' as a default")
                return nil
            }
            return .now
        }
    }

    private func indexSchema(_ node: Node, _ path: String) -> IndexSchema? {
        var columns: [String] = []
        var unique = false
        var name: String?
        guard let entries = reader.mapping(node, path, known: ["columns", "unique", "name"]) else { return nil }
        for (key, _, value) in entries {
            switch key {
            case "columns":
                columns = (reader.sequence(value, "\(path).columns", allowSingle: true) ?? []).compactMap {
                    reader.string($0, "\(path).columns")
                }
            case "unique": unique = reader.bool(value, "\(path).unique") ?? false
            default:
                name = reader.string(value, "\(path).name")
                if let text = name, !Identifier.isValid(text) {
                    reader.report(value, "\(path).name", "'\(text)' is not a valid index name")
                }
            }
        }
        if columns.isEmpty {
            reader.report(node, "\(path).columns", "an index needs at least one column")
            return nil
        }
        return IndexSchema(columns: columns, unique: unique, name: name)
    }
}

extension Node {
    var isMapping: Bool {
        if case .mapping = self { return true }
        return false
    }
}
