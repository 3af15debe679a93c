import Foundation
import Yams

/// The top-level sections of a config file as canonical YAML (comments and layout dropped): what `stack sync reload`
/// compares with the file `stack up` started from, to tell which settings changed and wait for a restart.
///
/// The raw file is compared, not the loaded config: `${VAR}` references stay as written, so a changed environment
/// variable is not seen.
public enum ConfigSections {
    /// The key of the section a reload applies; every other section needs a restart.
    public static let reloadable = "sync_rules"

    /// Section name → canonical YAML text, nil when the file cannot be read or is not a YAML mapping.
    public static func canonical(file: String) -> [String: String]? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        return canonical(text: text)
    }

    /// Section name → canonical YAML text of a config text.
    public static func canonical(text: String) -> [String: String]? {
        guard let node = try? Yams.compose(yaml: text), case .mapping(let mapping) = node else { return nil }
        var sections: [String: String] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { continue }
            sections[name] = (try? Yams.serialize(node: value)) ?? ""
        }
        return sections
    }

    /// The names of the sections other than `sync_rules` that differ (added, removed or changed), sorted.
    public static func changed(from old: [String: String], to new: [String: String]) -> [String] {
        Set(old.keys).union(new.keys).filter { $0 != reloadable && old[$0] != new[$0] }.sorted()
    }
}
