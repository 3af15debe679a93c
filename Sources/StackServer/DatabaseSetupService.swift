import Logging
import PostgresNIO
import ServiceLifecycle
import StackConfig
import StackCore
import StackPostgres

/// Checks the server, runs stack's migrations and applies the config's schema and publication.
struct DatabaseSetupService: Service {
    let config: StackConfig
    let client: PostgresClient
    let url: DatabaseURL
    let migrations: [(namespace: String, migrations: [Migration])]
    let gate: ReadinessGate
    let logger: Logger

    func run() async throws {
        do {
            try await gate.wait(for: ["postgres"])
            try await checkServer()
            for (namespace, list) in migrations {
                try await Migrator.run(list, namespace: namespace, client: client, logger: logger)
            }
            let outcome = try await SchemaApplier(schema: config.schema, publication: config.sync.publication)
                .apply(client: client, logger: logger)
            if !outcome.applied.isEmpty {
                logger.notice("schema applied", metadata: ["schema.changes": "\(outcome.applied.count)"])
            }
            if !outcome.reported.isEmpty {
                logger.warning(
                    "schema differs from the config; not applied (run stack doctor for fixes)",
                    metadata: ["schema.differences": "\(outcome.reported.count)"])
            }
            await gate.markReady("database")
        } catch is ReadinessGate.Failure {
            return
        } catch is CancellationError {
            // Stopping before Postgres was ready: end when the group asks.
            try? await gracefulShutdown()
            return
        } catch {
            await gate.markFailed("database", reason: PostgresErrorText.describe(error))
            throw error
        }
        try? await gracefulShutdown()
    }

    private func checkServer() async throws {
        let version: Int
        do {
            version = try await url.probe(logger: logger)
        } catch {
            throw StackError(
                "STACK-S004",
                "cannot reach Postgres at \(url): \(PostgresErrorText.describe(error)). "
                    + "Check postgres.url, that the server runs, and run stack doctor.")
        }
        if version < 140_000 {
            throw StackError(
                "STACK-S005",
                "Postgres \(version / 10000) is too old: stack needs 14 or newer (logical messages, pgoutput v1).")
        }
    }
}
