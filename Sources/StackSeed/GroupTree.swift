/// A group tree flattened depth-first: each group with its path, and every parent → child edge.
struct GroupTree: Sendable {
    /// One group of the tree.
    struct Group: Sendable {
        /// Names from the root, joined by `/` (unique in the tree; ids derive from it).
        var path: String
        var name: String
        /// The parent's path; nil for the root.
        var parentPath: String?
        var isLeaf: Bool
    }

    /// Groups in depth-first order, root first.
    private(set) var groups: [Group] = []

    /// Flattens `root`.
    init(root: GroupNode) {
        visit(root, parent: nil)
    }

    /// (parent path, child path) pairs, one per non-root group.
    var edges: [(parent: String, child: String)] {
        groups.compactMap { group in group.parentPath.map { ($0, group.path) } }
    }

    /// Groups without children (documents are filed there).
    var leaves: [Group] { groups.filter(\.isLeaf) }

    private mutating func visit(_ node: GroupNode, parent: String?) {
        let path = parent.map { $0 + "/" + node.name } ?? node.name
        let children = node.children ?? []
        groups.append(Group(path: path, name: node.name, parentPath: parent, isLeaf: children.isEmpty))
        for child in children { visit(child, parent: path) }
    }
}
