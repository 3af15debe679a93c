import Foundation

/// The contents of `sample-data/`: demo users and the templates their rows are generated from.
public struct SampleData: Sendable {
    /// Demo users, in file order.
    public var users: [SampleUser]
    /// Project templates by key (`projects.json`).
    var projects: [String: ProjectTemplate]
    /// Group trees by key (`groups.json`).
    var groups: [String: GroupNode]
    /// Words and sentences document content is made of (`text.json`).
    var text: TextCorpus

    /// Reads and checks the four files of `directory`.
    public static func load(directory: String) throws -> SampleData {
        let users: UsersFile = try read(directory, "users.json")
        let projects: ProjectsFile = try read(directory, "projects.json")
        let groups: GroupsFile = try read(directory, "groups.json")
        let text: TextCorpus = try read(directory, "text.json")
        let data = SampleData(users: users.users, projects: projects.projects, groups: groups.groups, text: text)
        try data.validate()
        return data
    }

    /// The folder to read: `explicit`, else `./sample-data`, else a `sample-data` next to the config file or in
    /// one of its parent directories (so `--config dev/stack.yaml` finds the repository's folder).
    public static func locate(explicit: String?, configFile: String) throws -> String {
        let manager = FileManager.default
        if let explicit {
            guard manager.fileExists(atPath: explicit + "/users.json") else { throw SeedError.dataNotFound([explicit]) }
            return explicit
        }
        var places = [manager.currentDirectoryPath + "/sample-data"]
        var directory = URL(fileURLWithPath: configFile).deletingLastPathComponent()
        for _ in 0..<3 {
            places.append(directory.appendingPathComponent("sample-data").path)
            directory = directory.deletingLastPathComponent()
        }
        var seen: [String] = []
        for place in places where !seen.contains(place) {
            seen.append(place)
            if manager.fileExists(atPath: place + "/users.json") { return place }
        }
        throw SeedError.dataNotFound(seen)
    }

    private static func read<T: Decodable>(_ directory: String, _ name: String) throws -> T {
        let path = directory + "/" + name
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw SeedError.unreadable(path, "the file does not exist")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(T.self, from: bytes)
        } catch let DecodingError.keyNotFound(key, context) {
            throw SeedError.unreadable(path, "missing key '\(key.stringValue)' at \(Self.path(context))")
        } catch let DecodingError.typeMismatch(_, context) {
            throw SeedError.unreadable(path, "wrong type at \(Self.path(context)): \(context.debugDescription)")
        } catch {
            throw SeedError.unreadable(path, "not valid JSON (\(error.localizedDescription))")
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
        return keys.isEmpty ? "the top level" : keys
    }
}

/// One demo user: its credentials and which templates its data comes from.
public struct SampleUser: Sendable, Codable, Equatable {
    /// Display name.
    public var name: String
    /// Sign-in email.
    public var email: String
    /// Sign-in password (demo credentials, committed on purpose).
    public var password: String
    /// Keys of `projects.json` templates, in order.
    public var projects: [String]
    /// Key of a `groups.json` tree, if the user has groups.
    public var groups: String?
}

/// A project and how many documents it gets.
struct ProjectTemplate: Sendable, Codable {
    var name: String
    var isDefault: Bool?
    var documents: DocumentTemplate?
    var largeDocuments: [LargeDocumentTemplate]?
}

/// Generated documents: `count` of them (times `--scale`), titles from a pattern, prose content.
struct DocumentTemplate: Sendable, Codable {
    /// Documents at scale 1.
    var count: Int
    /// Title pattern with `{n}` (1-based number), `{topic}` (cycles through `topics`) and `{letter}` (A–G).
    var title: String
    var topics: [String]
    /// Paragraph count range `[min, max]`.
    var paragraphs: [Int]
    /// Most versions a document has (each has 1...versions).
    var versions: Int
    /// Every n-th document is soft-deleted (0: none).
    var deletedEvery: Int?
    /// Every n-th document has a NULL title (0: none).
    var untitledEvery: Int?
}

/// A document of at least `kilobytes` KB (large enough for Postgres to TOAST it).
struct LargeDocumentTemplate: Sendable, Codable {
    var title: String
    var kilobytes: Int
    var versions: Int?
}

/// A group and its child groups.
struct GroupNode: Sendable, Codable {
    var name: String
    var children: [GroupNode]?
}

/// The material generated text is drawn from.
struct TextCorpus: Sendable, Codable {
    var sentences: [String]
    var words: [String]
}

private struct UsersFile: Codable {
    var users: [SampleUser]
}

private struct ProjectsFile: Codable {
    var projects: [String: ProjectTemplate]
}

private struct GroupsFile: Codable {
    var groups: [String: GroupNode]
}
