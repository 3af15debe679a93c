import Foundation
import Logging
import PostgresNIO
import StackConfig
import StackCore
import StackPostgres

/// Checks of the Postgres server, the publication, the synced tables and the replication slots.
struct DatabaseChecks {
    let config: StackConfig
    let options: Doctor.Options
    /// The pid of the stack that runs for this state directory, if one does.
    let stackPID: Int32?
    let logger: Logger

    func run() async -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        let url: DatabaseURL
        var startedManaged: ManagedPostgres?
        if let text = config.postgres.url {
            do {
                url = try DatabaseURL(parsing: text)
            } catch {
                return [
                    DoctorCheck(
                        group: "postgres", name: "reachable", status: .error, observed: "\(error)",
                        fix: "set postgres.url to postgres://user:password@host:5432/database")
                ]
            }
        } else {
            switch prepareManaged() {
            case .failure(let failure): return [failure.check]
            case .success(let (managed, started)):
                url = managed.url
                if started { startedManaged = managed }
                checks.append(
                    DoctorCheck(
                        group: "postgres", name: "managed cluster", status: .ok,
                        observed: "\(managed.dataDir), PostgreSQL \(managed.binaries.majorVersion)"
                            + (started ? " (started for the checks)" : "")))
            }
        }
        defer { try? startedManaged?.stop() }
        do {
            try await url.probe(logger: logger)
            checks += try await PostgresClient.withClient(url, logger: logger) { client in
                try await checksWithConnection(client: client, url: url)
            }
        } catch {
            checks.append(
                DoctorCheck(
                    group: "postgres", name: "reachable", status: .error,
                    observed: "\(url): \(PostgresErrorText.describe(error))",
                    fix: config.postgres.isManaged
                        ? (stackPID == nil ? "start it with stack up" : "stack down && stack up")
                            + " (logs: \(config.stateDir)/logs/postgres.log)"
                        : "check postgres.url in \(config.file) and that the server accepts connections (pg_isready -h \(url.host) -p \(url.port))"
                ))
        }
        return checks
    }

    private func prepareManaged() -> Result<(ManagedPostgres, Bool), CheckFailure> {
        let managed: ManagedPostgres
        do {
            managed = try ManagedPostgres.prepare(settings: config.postgres.managed, stateDir: config.stateDir)
        } catch {
            return .failure(managedFailure(error, managed: nil))
        }
        // Before "not created yet": stack up would fail to create it.
        do { try managed.checkReachableByServerUser() } catch {
            return .failure(managedFailure(error, managed: managed))
        }
        guard managed.isInitialized else {
            return .failure(
                CheckFailure(
                    check: DoctorCheck(
                        group: "postgres", name: "managed cluster", status: .warning,
                        observed: "not created yet (\(managed.dataDir))", fix: "stack up creates it on first run")))
        }
        if managed.isRunning() { return .success((managed, false)) }
        // The stack runs but its cluster does not (stopped or killed under it): starting one here would hide that,
        // and stopping it again afterwards would pull it away from the stack a second time.
        if let stackPID {
            return .failure(
                CheckFailure(
                    check: DoctorCheck(
                        group: "postgres", name: "reachable", status: .error,
                        observed: "the managed Postgres (\(managed.dataDir), port \(managed.port)) is not running, but "
                            + "the stack (pid \(stackPID)) is: the server was stopped or killed under it",
                        fix: "stack down && stack up  (server log: \(managed.logFile))")))
        }
        guard options.startManagedPostgres else {
            return .failure(
                CheckFailure(
                    check: DoctorCheck(
                        group: "postgres", name: "managed cluster", status: .warning, observed: "not running",
                        fix: "stack up")))
        }
        do {
            try managed.initializeIfNeeded(logger: logger)
            try managed.start(logger: logger)
            return .success((managed, true))
        } catch {
            return .failure(managedFailure(error, managed: managed))
        }
    }

    /// A managed cluster that cannot be prepared or started, with the fix for its cause.
    private func managedFailure(_ error: any Error, managed: ManagedPostgres?) -> CheckFailure {
        let code = (error as? StackError)?.code
        let observed = "\(error)"
        let fix: String
        switch code {
        case "STACK-P001":
            fix = "apt-get install postgresql (it provides initdb, pg_ctl and postgres), or set postgres.url"
        case "STACK-P004":
            let port = managed.map { String($0.port) } ?? "the port"
            fix =
                "another program listens on 127.0.0.1:\(port) (ss -ltnp 'sport = :\(port)' names it): stop it, or "
                + "set postgres.managed.port in \(config.file) to a free port"
        case "STACK-P007":
            // The pg_ctl error is generic; the server's own log says why (a bad setting, a full disk, …).
            let lines = managed?.lastLogLines() ?? []
            let log = managed?.logFile ?? config.stateDir + "/logs/postgres.log"
            fix =
                lines.isEmpty
                ? "the server wrote nothing to \(log); run stack up --verbose to see what pg_ctl reports"
                : "the server's last log lines (\(log)) say why:\n" + lines.map { "  " + $0 }.joined(separator: "\n")
            return CheckFailure(
                check: DoctorCheck(
                    group: "postgres", name: "managed cluster", status: .error,
                    observed: String(observed.prefix { $0 != "\n" }), fix: fix))
        case "STACK-P013":
            // The message ends with its fix: show the cause as observed and the fix on its own.
            let message = (error as? StackError)?.message ?? observed
            let parts = message.components(separatedBy: " Fix: ")
            return CheckFailure(
                check: DoctorCheck(
                    group: "postgres", name: "managed cluster", status: .error,
                    observed: "STACK-P013: " + parts[0], fix: parts.dropFirst().joined(separator: " Fix: ")))
        default:
            fix = "do what the message says"
        }
        return CheckFailure(
            check: DoctorCheck(group: "postgres", name: "managed cluster", status: .error, observed: observed, fix: fix)
        )
    }

    private func checksWithConnection(client: PostgresClient, url: DatabaseURL) async throws -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        let settings = try await ServerSettings.read(client: client, logger: logger)
        checks.append(DoctorCheck(group: "postgres", name: "reachable", status: .ok, observed: url.description))
        checks += ServerChecks.evaluate(settings, isManaged: config.postgres.isManaged)
        let publication = PublicationManager(
            name: config.sync.publication, tables: config.schema.syncedTables.map(\.name))
        checks.append(
            PublicationCheck.evaluate(try await publication.state(client: client, logger: logger), manager: publication)
        )
        let names = config.schema.syncedTables.map(\.name)
        let live = try await LiveSchema.read(tables: names, client: client, logger: logger)
        checks += TableChecks.evaluate(config: config.schema, live: live)
        checks += TableChecks.drift(config: config.schema, live: live)
        checks.append(await AuthKeyCheck.evaluate(config: config, client: client, logger: logger))
        checks += SlotChecks.evaluate(
            try await SlotChecks.read(client: client, logger: logger), settings: settings,
            lagWarningBytes: options.lagWarningBytes)
        return checks
    }
}

/// A check that ends the database checks early.
struct CheckFailure: Error {
    let check: DoctorCheck
}
