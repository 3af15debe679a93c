import Foundation
import StackCore

/// The file a running `stack up` leaves in the state directory so `status` and `down` can find it.
public struct RunState: Sendable {
    /// `<state_dir>/run/stack.json`.
    public let path: String

    /// The run-state file of a state directory.
    public init(stateDir: String) {
        path = stateDir + "/run/stack.json"
    }

    /// Records a ready stack (mode 0600: it holds the database URL).
    public func write(_ endpoints: StackEndpoints) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(endpoints)
        FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600])
    }

    /// The recorded stack if its process is still alive; a stale file is removed.
    public func read() -> StackEndpoints? {
        guard let data = FileManager.default.contents(atPath: path),
            let endpoints = try? JSONDecoder().decode(StackEndpoints.self, from: data)
        else { return nil }
        guard kill(endpoints.pid, 0) == 0 || errno == EPERM else {
            try? FileManager.default.removeItem(atPath: path)
            return nil
        }
        return endpoints
    }

    /// Removes the record if it belongs to `pid`.
    public func remove(ifOwnedBy pid: Int32) {
        guard let data = FileManager.default.contents(atPath: path),
            let endpoints = try? JSONDecoder().decode(StackEndpoints.self, from: data), endpoints.pid == pid
        else { return }
        try? FileManager.default.removeItem(atPath: path)
    }
}
