import Foundation
import StackConfig
import StackReplication
import StackSyncRules

/// Where a sync-rules reload of a running stack stands: `<state_dir>/run/reload.json`, rewritten by `stack up` at
/// every step and read by `stack sync reload` (and scripts) to follow the reload it asked for with SIGHUP.
public struct ReloadStatus: Codable, Sendable, Equatable {
    /// The steps of a reload.
    public enum State: String, Codable, Sendable {
        /// The config's sync rules do not load or compile; the running stream is untouched (`problems`).
        case invalid
        /// The change cannot be made without a restart (`message` says why).
        case refused
        /// The rules are the served stream's: nothing to do.
        case unchanged
        /// The rules are the served stream's again; the build of other rules in progress was abandoned.
        case reverted
        /// A new stream is being built while the old one keeps serving.
        case building
        /// The new stream serves; the old one is being dropped (`done` once it is).
        case swapped
        /// A later reload replaced this one before its stream took over.
        case abandoned
    }

    /// A problem in the config or its sync rules, with its position.
    public struct Problem: Codable, Sendable, Equatable {
        /// The file the problem is in.
        public var file: String
        /// 1-based line (0 when unknown).
        public var line: Int
        /// 1-based column (0 when unknown).
        public var column: Int
        /// Stable code (`STACK-S102`, `STACK-C003`, …).
        public var code: String
        /// What is wrong and what to do.
        public var message: String
        /// `file:line:column: code: message`, as compilers print it.
        public var formatted: String
    }

    /// Process id of the `stack up` that answered.
    public var pid: Int32
    /// Number of this reload in that process (1, 2, …): each SIGHUP starts the next one.
    public var reload: Int
    /// Where it stands.
    public var state: State
    /// True when nothing more will happen for this reload.
    public var done: Bool
    /// The config file that was read.
    public var config: String
    /// The stream that serves (or will serve) the new rules.
    public var stream: Int?
    /// Its replication slot.
    public var slot: String?
    /// The stream that served before; dropped after the swap.
    public var replaced: Int?
    /// True once the replaced stream's slot and bucket data are gone.
    public var dropped: Bool?
    /// What happened, in one sentence.
    public var message: String
    /// Problems with their positions (`invalid`).
    public var problems: [Problem]
    /// When the reload started (ISO 8601).
    public var startedAt: String
    /// Seconds from the signal to this step.
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case pid, reload, state, done, config, stream, slot, replaced, dropped, message, problems, seconds
        case startedAt = "started_at"
    }

    /// `<state_dir>/run/reload.json`.
    public static func path(stateDir: String) -> String {
        stateDir + "/run/reload.json"
    }

    /// The last status written in a state directory, nil when there is none.
    public static func read(stateDir: String) -> ReloadStatus? {
        guard let data = FileManager.default.contents(atPath: path(stateDir: stateDir)) else { return nil }
        return try? JSONDecoder().decode(ReloadStatus.self, from: data)
    }

    /// Replaces the file in one step (readers never see half a status).
    public func write(stateDir: String) throws {
        let path = Self.path(stateDir: stateDir)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Problems of a config that did not load.
    static func problems(_ error: ConfigError) -> [Problem] {
        switch error {
        case .invalid(let diagnostics):
            return diagnostics.map {
                Problem(
                    file: $0.file, line: $0.line, column: $0.column, code: error.code, message: $0.message,
                    formatted: $0.description)
            }
        case .notFound, .unreadable:
            return [
                Problem(
                    file: "", line: 0, column: 0, code: error.code, message: error.description,
                    formatted: error.description)
            ]
        }
    }

    /// Errors of sync rules that did not compile (warnings left out).
    static func problems(_ error: SyncRulesError, file: String) -> [Problem] {
        error.errors.map {
            Problem(
                file: error.file ?? file, line: $0.line ?? 0, column: $0.column ?? 0, code: $0.code.rawValue,
                message: $0.message, formatted: $0.formatted(file: error.file ?? file))
        }
    }
}
