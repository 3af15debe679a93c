/// The outcome of one doctor check: what was looked at, what was seen, and how to fix it.
public struct DoctorCheck: Sendable, Codable, Equatable {
    /// Severity of a check's outcome.
    public enum Status: String, Sendable, Codable {
        case ok, warning, error, skipped

        /// `[✓]`, `[!]`, `[✗]` or `[-]`.
        public var mark: String {
            switch self {
            case .ok: "[✓]"
            case .warning: "[!]"
            case .error: "[✗]"
            case .skipped: "[-]"
            }
        }
    }

    /// Component group (config, postgres, publication, tables, replication, auth, sync rules, ports).
    public var group: String
    /// What is checked.
    public var name: String
    /// The outcome.
    public var status: Status
    /// The value observed.
    public var observed: String
    /// A command, SQL statement or config key that fixes it (nil when nothing is wrong).
    public var fix: String?

    /// Creates a check result.
    public init(group: String, name: String, status: Status, observed: String, fix: String? = nil) {
        self.group = group
        self.name = name
        self.status = status
        self.observed = observed
        // A passing check needs no fix; keeping one would show it in `--json` next to "ok".
        self.fix = status == .ok ? nil : fix
    }
}

/// All checks of one doctor run.
public struct DoctorReport: Sendable, Codable {
    /// Checks in run order.
    public var checks: [DoctorCheck]
    /// Why doctor could not run at all (no config file), if so.
    public var cannotRun: String?

    /// Creates a report.
    public init(checks: [DoctorCheck], cannotRun: String? = nil) {
        self.checks = checks
        self.cannotRun = cannotRun
    }

    /// Count per status.
    public var summary: [String: Int] {
        var counts: [String: Int] = ["ok": 0, "warning": 0, "error": 0, "skipped": 0]
        for check in checks { counts[check.status.rawValue, default: 0] += 1 }
        return counts
    }

    /// 0 when clean or warnings only, 1 on any error, 2 when doctor could not run.
    public var exitCode: Int32 {
        if cannotRun != nil { return 2 }
        return checks.contains { $0.status == .error } ? 1 : 0
    }

    /// The first check with this name, for tests and scripts.
    public func check(_ name: String) -> DoctorCheck? { checks.first { $0.name == name } }

    /// Grouped human-readable text with a one-line summary.
    public var text: String {
        if let cannotRun { return "doctor cannot run: \(cannotRun)" }
        var out = ""
        // Each group once, in the order groups first appear (checks of one group can come from different passes).
        var groups: [String] = []
        for check in checks where !groups.contains(check.group) { groups.append(check.group) }
        for group in groups {
            out += "\(group)\n"
            for check in checks where check.group == group {
                out += "  \(check.status.mark) \(check.name): \(check.observed)\n"
                if let fix = check.fix, check.status != .ok {
                    let lines = fix.split(separator: "\n", omittingEmptySubsequences: false)
                    out += "      fix: \(lines[0])\n" + lines.dropFirst().map { "           \($0)\n" }.joined()
                }
            }
        }
        let counts = summary
        out += "\(counts["ok"]!) ok, \(counts["warning"]!) warnings, \(counts["error"]!) errors"
        if counts["skipped"]! > 0 { out += ", \(counts["skipped"]!) skipped" }
        return out
    }
}
