/// Turns sample data into rows. Pure and deterministic: ids, timestamps and text depend only on the sample data,
/// the user's email and `scale`, so a second run produces the very same rows (and `ON CONFLICT` skips them all).
public struct SeedGenerator: Sendable {
    /// One unit of generation; each yields a few hundred to a few thousand rows.
    public enum WorkItem: Sendable, Equatable {
        /// The user's projects, groups and group hierarchy.
        case structure
        /// Documents `range` of project `project` (index into the user's projects), with versions and group links.
        case documents(project: Int, range: Range<Int>)
        /// The large documents of project `project`.
        case largeDocuments(project: Int)
    }

    let data: SampleData
    /// Multiplier of each template's document count.
    public let scale: Int
    let documentsPerChunk: Int
    private let text: SeedText

    /// A generator of `scale` times the templated documents, in chunks of `documentsPerChunk` documents.
    public init(data: SampleData, scale: Int = 1, documentsPerChunk: Int = 1000) {
        self.data = data
        self.scale = scale
        self.documentsPerChunk = max(1, documentsPerChunk)
        text = SeedText(corpus: data.text)
    }

    /// The sample users, in order (`userIndex` of `rows(for:…)` counts in this list).
    public var users: [SampleUser] { data.users }

    /// The work items of `user`, in order.
    public func workItems(for user: SampleUser) -> [WorkItem] {
        var items: [WorkItem] = [.structure]
        for (index, key) in user.projects.enumerated() {
            let project = data.projects[key]!
            if let template = project.documents {
                let total = template.count * scale
                for start in stride(from: 0, to: total, by: documentsPerChunk) {
                    items.append(.documents(project: index, range: start..<min(total, start + documentsPerChunk)))
                }
            }
            if !(project.largeDocuments ?? []).isEmpty { items.append(.largeDocuments(project: index)) }
        }
        return items
    }

    /// Rows per table for all users, counted without generating them (same rules as `rows(for:…)`).
    public func rowCounts() -> [String: Int] {
        var counts = Dictionary(uniqueKeysWithValues: SeedTables.all.map { ($0.table, 0) })
        for user in data.users {
            let tree = user.groups.flatMap { data.groups[$0] }.map(GroupTree.init(root:))
            let leaves = tree?.leaves ?? []
            counts["projects"]! += user.projects.count
            counts["groups"]! += tree?.groups.count ?? 0
            counts["group_hierarchy"]! += tree?.edges.count ?? 0
            for (index, key) in user.projects.enumerated() {
                let project = data.projects[key]!
                if let template = project.documents {
                    let total = template.count * scale
                    counts["documents"]! += total
                    for n in 0..<total {
                        counts["document_versions"]! += Self.versionCount(template, n)
                        counts["document_groups"]! += Self.groupPaths(n, project: index, leaves: leaves).count
                    }
                }
                for large in project.largeDocuments ?? [] {
                    counts["documents"]! += 1
                    counts["document_versions"]! += max(1, large.versions ?? 1)
                    counts["document_groups"]! += leaves.isEmpty ? 0 : 1
                }
            }
        }
        return counts
    }

    /// Document n has 1 + n % versions versions.
    private static func versionCount(_ template: DocumentTemplate, _ n: Int) -> Int { 1 + n % template.versions }

    /// The groups document n of the user's project `project` is filed in: a leaf, rotating; every fourth
    /// document also in the leaf's parent.
    private static func groupPaths(_ n: Int, project: Int, leaves: [GroupTree.Group]) -> [String] {
        guard !leaves.isEmpty else { return [] }
        let leaf = leaves[(n + project) % leaves.count]
        if n % 4 == 0, let parent = leaf.parentPath { return [leaf.path, parent] }
        return [leaf.path]
    }

    /// The rows of one work item, owned by `ownerID`.
    public func rows(
        for item: WorkItem, user: SampleUser, userIndex: Int, ownerID: String
    ) -> [SeedRows] {
        let context = UserContext(user: user, userIndex: userIndex, ownerID: ownerID, data: data)
        switch item {
        case .structure:
            return structure(context)
        case .documents(let project, let range):
            return documents(context, project: project, range: range)
        case .largeDocuments(let project):
            return largeDocuments(context, project: project)
        }
    }

    private func structure(_ context: UserContext) -> [SeedRows] {
        var projects = SeedRows(table: "projects", columns: SeedTables.projects)
        for (index, key) in context.user.projects.enumerated() {
            let template = data.projects[key]!
            let created = context.projectCreated(index)
            projects.rows.append([
                context.projectID(key), template.name, context.ownerID, String(template.isDefault ?? false),
                SeedTime.iso(created), SeedTime.iso(created + 3600), nil,
            ])
        }
        var groups = SeedRows(table: "groups", columns: SeedTables.groups)
        var hierarchy = SeedRows(table: "group_hierarchy", columns: SeedTables.groupHierarchy)
        if let tree = context.tree {
            for (index, group) in tree.groups.enumerated() {
                let created = SeedTime.iso(context.userStart + index * 300)
                groups.rows.append([context.groupID(group.path), group.name, context.ownerID, created, created, nil])
                if let parent = group.parentPath {
                    hierarchy.rows.append([
                        context.id("group_hierarchy", parent + ">" + group.path), context.groupID(parent),
                        context.groupID(group.path), context.ownerID, created,
                    ])
                }
            }
        }
        return [projects, groups, hierarchy]
    }

    private func documents(_ context: UserContext, project: Int, range: Range<Int>) -> [SeedRows] {
        let key = context.user.projects[project]
        let template = data.projects[key]!.documents!
        var output = DocumentRows()
        for n in range {
            let documentKey = "\(key)/\(n)"
            var random = SeedRandom(context.user.email + "/documents/" + documentKey)
            let paragraphCount = random.int(template.paragraphs[0]...template.paragraphs[1])
            let paragraphs = text.paragraphs(paragraphCount, using: &random)
            let untitled = (template.untitledEvery ?? 0) > 0 && (n + 1) % template.untitledEvery! == 0
            let created = context.projectCreated(project) + 3600 + n * 41 * 60
            let updated = created + (n % 7) * 53 * 60
            let deleted = (template.deletedEvery ?? 0) > 0 && (n + 1) % template.deletedEvery! == 0
            let groupPaths = Self.groupPaths(n, project: project, leaves: context.tree?.leaves ?? [])
            output.add(
                context, key: documentKey, projectKey: key,
                title: untitled ? nil : title(template, n: n), sections: paragraphs,
                versionCount: Self.versionCount(template, n), created: created, updated: updated,
                deleted: deleted ? updated + 7200 : nil, groupPaths: groupPaths)
        }
        return output.all
    }

    private func largeDocuments(_ context: UserContext, project: Int) -> [SeedRows] {
        let key = context.user.projects[project]
        var output = DocumentRows()
        for (index, template) in (data.projects[key]!.largeDocuments ?? []).enumerated() {
            let documentKey = "\(key)/large/\(index)"
            var random = SeedRandom(context.user.email + "/documents/" + documentKey)
            let sections = text.largeSections(bytes: template.kilobytes * 1024, title: template.title, using: &random)
            let created = context.projectCreated(project) + 1800 + index * 3600
            let leaves = context.tree?.leaves ?? []
            output.add(
                context, key: documentKey, projectKey: key, title: template.title, sections: sections,
                versionCount: max(1, template.versions ?? 1), created: created, updated: created + 3600, deleted: nil,
                groupPaths: leaves.isEmpty ? [] : [leaves[index % leaves.count].path])
        }
        return output.all
    }

    private func title(_ template: DocumentTemplate, n: Int) -> String {
        let letters = Array("ABCDEFG")
        return template.title
            .replacingOccurrences(of: "{n}", with: String(n + 1))
            .replacingOccurrences(of: "{topic}", with: template.topics[n % template.topics.count])
            .replacingOccurrences(of: "{letter}", with: String(letters[n % letters.count]))
    }
}

/// Per-user values every generated row needs.
struct UserContext {
    let user: SampleUser
    let ownerID: String
    let tree: GroupTree?
    /// Users' data starts three days apart.
    let userStart: Int

    init(user: SampleUser, userIndex: Int, ownerID: String, data: SampleData) {
        self.user = user
        self.ownerID = ownerID
        tree = user.groups.flatMap { data.groups[$0] }.map(GroupTree.init(root:))
        userStart = SeedTime.base + userIndex * 3 * 86_400
    }

    /// The id of `table`'s row named `key` for this user.
    func id(_ table: String, _ key: String) -> String { SeedIdentifier.uuid(user.email + "/" + table + "/" + key) }
    func projectID(_ key: String) -> String { id("projects", key) }
    func groupID(_ path: String) -> String { id("groups", path) }
    func projectCreated(_ index: Int) -> Int { userStart + index * 86_400 }
}

/// Rows of documents, their versions and their group links, built together.
private struct DocumentRows {
    var documents = SeedRows(table: "documents", columns: SeedTables.documents)
    var versions = SeedRows(table: "document_versions", columns: SeedTables.documentVersions)
    var links = SeedRows(table: "document_groups", columns: SeedTables.documentGroups)

    var all: [SeedRows] { [documents, versions, links] }

    /// A document whose content is `sections` joined by blank lines; version v of k holds the first v/k of them.
    mutating func add(
        _ context: UserContext, key: String, projectKey: String, title: String?, sections: [String], versionCount: Int,
        created: Int, updated: Int, deleted: Int?, groupPaths: [String]
    ) {
        let id = context.id("documents", key)
        let device = SeedTables.deviceID
        documents.rows.append([
            id, title, sections.joined(separator: "\n\n"), context.ownerID, context.projectID(projectKey), device,
            SeedTime.iso(created), SeedTime.iso(updated), deleted.map(SeedTime.iso),
        ])
        for version in 1...versionCount {
            let kept = sections.prefix(max(1, sections.count * version / versionCount)).joined(separator: "\n\n")
            versions.rows.append([
                context.id("document_versions", "\(key)/\(version)"), id, String(version), kept, context.ownerID,
                device, SeedTime.iso(created + (version - 1) * 17 * 60),
            ])
        }
        for path in groupPaths {
            links.rows.append([
                context.id("document_groups", "\(key)/\(path)"), id, context.groupID(path), context.ownerID,
                SeedTime.iso(created),
            ])
        }
    }
}
