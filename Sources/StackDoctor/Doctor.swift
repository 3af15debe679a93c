import Foundation
import Logging
import PostgresNIO
import StackConfig
import StackCore
import StackPostgres

/// `stack doctor`: read-only checks of the whole chain, each with the observed value and a fix.
public struct Doctor: Sendable {
    /// Thresholds and switches.
    public struct Options: Sendable {
        /// Replication lag (bytes of WAL a slot holds back) above which a slot is reported.
        public var lagWarningBytes: Int64 = 256 * 1024 * 1024
        /// Whether the managed cluster may be started for the checks (and stopped afterwards).
        public var startManagedPostgres = true

        /// Default options.
        public init() {}
    }

    /// Explicit config path (`--config`), or nil for the default search.
    public let configPath: String?
    /// Loader (environment, working directory).
    public let loader: ConfigLoader
    /// Thresholds.
    public let options: Options
    private let logger: Logger

    /// Creates a doctor.
    public init(
        configPath: String?, loader: ConfigLoader = ConfigLoader(), options: Options = Options(), logger: Logger
    ) {
        self.configPath = configPath
        self.loader = loader
        self.options = options
        self.logger = logger
    }

    /// Runs every check that can run and returns the report (it never throws: problems are checks).
    public func run() async -> DoctorReport {
        var checks: [DoctorCheck] = []
        let config: StackConfig
        do {
            config = try loader.load(explicit: configPath)
            checks.append(DoctorCheck(group: "config", name: "config valid", status: .ok, observed: config.file))
        } catch let error as ConfigError {
            if case .notFound = error {
                return DoctorReport(checks: [], cannotRun: "\(error)")
            }
            checks.append(
                DoctorCheck(
                    group: "config", name: "config valid", status: .error, observed: "\(error)",
                    fix: "edit the file at the positions above (file:line:column), or pass --config PATH"))
            return DoctorReport(checks: checks)
        } catch {
            checks.append(
                DoctorCheck(
                    group: "config", name: "config valid", status: .error, observed: "\(error)",
                    fix: "edit the file at the positions above (file:line:column), or pass --config PATH"))
            return DoctorReport(checks: checks)
        }
        let stackPID = StackRunState.pid(stateDir: config.stateDir)
        checks += await DatabaseChecks(config: config, options: options, stackPID: stackPID, logger: logger).run()
        checks += ConfigChecks.audience(config)
        checks += SyncRulesChecks.evaluate(config)
        checks += await NetworkChecks.run(config: config, stackRunning: stackPID != nil, logger: logger)
        return DoctorReport(checks: checks)
    }
}

/// Whether `stack up` is running for a state directory (reads the run-state file without importing the server).
enum StackRunState {
    /// The pid of the running stack, nil when none runs.
    static func pid(stateDir: String) -> Int32? {
        guard let data = FileManager.default.contents(atPath: stateDir + "/run/stack.json"),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let pid = object["pid"] as? Int
        else { return nil }
        return kill(pid_t(pid), 0) == 0 || errno == EPERM ? Int32(pid) : nil
    }
}

extension Doctor {
    /// The JWKS check alone: fetches `uri` and looks for a key with a kid and an accepted algorithm.
    public static func checkJWKS(uri: String) async -> DoctorCheck {
        await NetworkChecks.jwks(uri: uri)
    }
}
