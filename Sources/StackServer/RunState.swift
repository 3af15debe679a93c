import Crypto
import Foundation
import StackConfig
import StackCore

/// The file a running `stack up` leaves in the state directory so `status` and `down` can find it.
public struct RunState: Sendable {
    /// `<state_dir>/run/stack.json`.
    public let path: String

    /// The run-state file of a state directory.
    public init(stateDir: String) {
        path = stateDir + "/run/stack.json"
    }

    /// `<state_dir>/run/stack.start`: when the recorded process started, so a pid reused by another process (after
    /// a reboot, in a container) is not taken for the stack, nor sent `stack down`'s SIGTERM.
    var startPath: String { (path as NSString).deletingLastPathComponent + "/stack.start" }

    /// Records a ready stack (mode 0600: it holds the database URL).
    public func write(_ endpoints: StackEndpoints) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(endpoints)
        if let start = Self.startTime(of: endpoints.pid) {
            FileManager.default.createFile(atPath: startPath, contents: Data(start.utf8))
        }
        FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600])
    }

    /// `<state_dir>/run/settings.json`: a digest of each config section as the stack started with it.
    var settingsPath: String { (path as NSString).deletingLastPathComponent + "/settings.json" }

    /// Records a digest (SHA-256, never the text: `auth` may hold the secret) of each section (`ConfigSections`) of the
    /// config file the stack starts from, so `stack sync reload` can tell that other settings changed and need a restart.
    public func writeSettings(_ sections: [String: String]) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let digests = sections.mapValues(Self.digest)
        let data = try JSONSerialization.data(withJSONObject: digests, options: [.sortedKeys])
        FileManager.default.createFile(atPath: settingsPath, contents: data, attributes: [.posixPermissions: 0o600])
    }

    /// The config sections that changed in `configFile` since the stack started (sync_rules left out); empty when
    /// nothing changed or the start was not recorded.
    public func changedSettings(configFile: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: settingsPath),
            let recorded = try? JSONSerialization.jsonObject(with: data) as? [String: String],
            let current = ConfigSections.canonical(file: configFile)
        else { return [] }
        return ConfigSections.changed(from: recorded, to: current.mapValues(Self.digest))
    }

    private static func digest(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The recorded stack if its process is still alive; a stale file is removed.
    public func read() -> StackEndpoints? {
        guard let data = FileManager.default.contents(atPath: path),
            let endpoints = try? JSONDecoder().decode(StackEndpoints.self, from: data)
        else { return nil }
        let alive = kill(endpoints.pid, 0) == 0 || errno == EPERM
        let recorded = FileManager.default.contents(atPath: startPath).map { String(decoding: $0, as: UTF8.self) }
        let current = Self.startTime(of: endpoints.pid)
        // Another process with the same pid started at another time.
        let reused = recorded != nil && current != nil && recorded != current
        guard alive, !reused else {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: startPath)
            return nil
        }
        return endpoints
    }

    /// The start time of process `pid` in clock ticks since boot (`/proc/<pid>/stat`, field 22), nil where there is
    /// no such file.
    static func startTime(of pid: Int32) -> String? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // Field 3 (state) is the first after the name; field 22 is 19 further.
        return fields.count > 19 ? String(fields[19]) : nil
    }

    /// Removes the record if it belongs to `pid`.
    public func remove(ifOwnedBy pid: Int32) {
        guard let data = FileManager.default.contents(atPath: path),
            let endpoints = try? JSONDecoder().decode(StackEndpoints.self, from: data), endpoints.pid == pid
        else { return }
        try? FileManager.default.removeItem(atPath: path)
        try? FileManager.default.removeItem(atPath: startPath)
        try? FileManager.default.removeItem(atPath: settingsPath)
    }
}
