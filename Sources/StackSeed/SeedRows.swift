/// Generated rows of one table, every value as text (NULL as nil) in `columns` order.
public struct SeedRows: Sendable {
    /// Table name (as the sample app's schema spells it).
    public let table: String
    /// Column names.
    public let columns: [String]
    /// Rows, each with one value per column.
    public internal(set) var rows: [[String?]] = []

    /// The values of column `index`, top to bottom.
    func column(_ index: Int) -> [String?] { rows.map { $0[index] } }
}

/// The tables and columns the generator writes: the seed app's data model (dev/stack.yaml).
enum SeedTables {
    static let projects = ["id", "name", "owner_id", "is_default", "created_at", "updated_at", "deleted_at"]
    static let documents = [
        "id", "title", "content", "owner_id", "project_id", "device_id", "created_at", "updated_at", "deleted_at",
    ]
    static let documentVersions = ["id", "document_id", "version", "content", "owner_id", "device_id", "created_at"]
    static let groups = ["id", "name", "owner_id", "created_at", "updated_at", "deleted_at"]
    static let groupHierarchy = ["id", "parent_group_id", "child_group_id", "owner_id", "created_at"]
    static let documentGroups = ["id", "document_id", "group_id", "owner_id", "created_at"]

    /// Every table in insertion order with its columns.
    static let all: [(table: String, columns: [String])] = [
        ("projects", projects), ("groups", groups), ("group_hierarchy", groupHierarchy), ("documents", documents),
        ("document_versions", documentVersions), ("document_groups", documentGroups),
    ]

    /// `device_id` of every generated row.
    static let deviceID = "stack-seed"
}
