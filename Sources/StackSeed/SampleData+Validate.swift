extension SampleData {
    /// Every reference resolves and every number is in range; all problems of a file are reported at once.
    func validate() throws {
        if users.isEmpty { throw SeedError.invalid("users.json", "there are no users") }
        var problems: [String] = []
        var emails: Set<String> = []
        for user in users {
            if !emails.insert(user.email.lowercased()).inserted { problems.append("\(user.email) appears twice") }
            for key in user.projects where projects[key] == nil {
                problems.append("\(user.email) uses project '\(key)', which projects.json does not define")
            }
            if Set(user.projects).count != user.projects.count {
                problems.append("\(user.email) lists a project twice")
            }
            if let key = user.groups, groups[key] == nil {
                problems.append("\(user.email) uses groups '\(key)', which groups.json does not define")
            }
        }
        if !problems.isEmpty { throw SeedError.invalid("users.json", problems.joined(separator: "; ")) }
        for (key, project) in projects.sorted(by: { $0.key < $1.key }) {
            if let template = project.documents {
                if template.count < 0 { problems.append("\(key): documents.count is negative") }
                if template.topics.isEmpty { problems.append("\(key): documents.topics is empty") }
                if template.paragraphs.count != 2 || template.paragraphs[0] < 1
                    || template.paragraphs[0] > template.paragraphs[1]
                {
                    problems.append("\(key): documents.paragraphs must be [min, max] with 1 <= min <= max")
                }
                if template.versions < 1 { problems.append("\(key): documents.versions must be at least 1") }
            }
            for large in project.largeDocuments ?? [] where !(1...4096).contains(large.kilobytes) {
                problems.append("\(key): large document '\(large.title)' must be 1...4096 kilobytes")
            }
        }
        if !problems.isEmpty { throw SeedError.invalid("projects.json", problems.joined(separator: "; ")) }
        for (key, root) in groups.sorted(by: { $0.key < $1.key }) {
            let paths = GroupTree(root: root).groups.map(\.path)
            if Set(paths).count != paths.count { problems.append("\(key): two sibling groups have the same name") }
        }
        if !problems.isEmpty { throw SeedError.invalid("groups.json", problems.joined(separator: "; ")) }
        if text.sentences.isEmpty || text.words.isEmpty {
            throw SeedError.invalid("text.json", "sentences and words must not be empty")
        }
    }
}
