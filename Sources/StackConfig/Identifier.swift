/// SQL identifiers allowed in the config: they become table, column, schema and publication names.
public enum Identifier {
    /// True for `[a-z_][a-z0-9_]*` of at most 63 bytes (Postgres' limit), so names never need case folding.
    public static func isValid(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.utf8.count <= 63 else { return false }
        guard first == "_" || ("a"..."z").contains(first) else { return false }
        return text.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }

    /// The identifier double-quoted for SQL; only ever applied to names validated above.
    public static func quoted(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
