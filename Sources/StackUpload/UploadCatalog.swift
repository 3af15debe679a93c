import StackConfig

/// The tables devices may write, from the config schema: the only source of table and column names in SQL.
public struct UploadCatalog: Sendable {
    /// A writable table.
    public struct Table: Sendable {
        /// The config's table.
        public let schema: TableSchema
        /// Column by the names a client may use: the column name and its camelCase form.
        let columnsByKey: [String: ColumnSchema]

        /// The column a data key names (`device_id` or `deviceId`), if any.
        func column(forKey key: String) -> ColumnSchema? {
            columnsByKey[key] ?? columnsByKey[UploadCatalog.snakeCase(key)]
        }
    }

    private let tables: [String: Table]
    private let localOnly: Set<String>

    /// The synced tables of `schema` that have `id` and `owner_id` (without an owner there is nothing to check).
    public init(schema: AppSchema) {
        var tables: [String: Table] = [:]
        for table in schema.syncedTables where table.column(named: "id") != nil && table.column(named: "owner_id") != nil {
            var byKey: [String: ColumnSchema] = [:]
            for column in table.columns {
                byKey[column.name] = column
                byKey[Self.camelCase(column.name)] = column
            }
            tables[table.name] = Table(schema: table, columnsByKey: byKey)
        }
        self.tables = tables
        localOnly = Set(schema.tables.filter(\.localOnly).map(\.name))
    }

    /// The writable table named `name`, or the rejection for it.
    func table(_ name: String, opIndex: Int) throws(UploadRejection) -> Table {
        if let table = tables[name] { return table }
        if localOnly.contains(name) {
            throw UploadRejection(
                opIndex: opIndex, code: "LOCAL_ONLY_TABLE",
                message: "Table '\(UploadCatalog.printable(name))' is local-only: it never leaves the device.")
        }
        throw UploadRejection(
            opIndex: opIndex, code: "UNKNOWN_TABLE",
            message: "Table '\(UploadCatalog.printable(name))' is not a synced table of the schema (or has no owner_id).")
    }

    /// `device_id` → `deviceId`.
    static func camelCase(_ name: String) -> String {
        var out = ""
        var upper = false
        for character in name {
            if character == "_", !out.isEmpty {
                upper = true
            } else {
                out.append(upper ? Character(character.uppercased()) : character)
                upper = false
            }
        }
        return out
    }

    /// `deviceId` → `device_id`.
    static func snakeCase(_ key: String) -> String {
        var out = ""
        for character in key {
            if character.isUppercase {
                out += "_" + character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// A client-sent name, shortened and stripped of control characters, safe to echo in a message.
    static func printable(_ name: String) -> String {
        let cleaned = String(name.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7f }.map(Character.init))
        return cleaned.count > 64 ? String(cleaned.prefix(64)) + "…" : cleaned
    }
}
