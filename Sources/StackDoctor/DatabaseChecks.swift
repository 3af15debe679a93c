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
                        ? "start it with stack up (logs: \(config.stateDir)/logs/postgres.log)"
                        : "check postgres.url in \(config.file) and that the server accepts connections (pg_isready -h \(url.host) -p \(url.port))"
                ))
        }
        return checks
    }

    private func prepareManaged() -> Result<(ManagedPostgres, Bool), CheckFailure> {
        do {
            let managed = try ManagedPostgres.prepare(settings: config.postgres.managed, stateDir: config.stateDir)
            guard managed.isInitialized else {
                return .failure(
                    CheckFailure(
                        check: DoctorCheck(
                            group: "postgres", name: "managed cluster", status: .warning,
                            observed: "not created yet (\(managed.dataDir))", fix: "stack up creates it on first run")))
            }
            if managed.isRunning() { return .success((managed, false)) }
            guard options.startManagedPostgres else {
                return .failure(
                    CheckFailure(
                        check: DoctorCheck(
                            group: "postgres", name: "managed cluster", status: .warning, observed: "not running",
                            fix: "stack up")))
            }
            try managed.initializeIfNeeded(logger: logger)
            try managed.start(logger: logger)
            return .success((managed, true))
        } catch {
            return .failure(
                CheckFailure(
                    check: DoctorCheck(
                        group: "postgres", name: "managed cluster", status: .error, observed: "\(error)",
                        fix: "see the message; apt-get install postgresql provides the server programs")))
        }
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
