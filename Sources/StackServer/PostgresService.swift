import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import StackConfig
import StackCore
import StackPostgres

/// Brings up the database: starts the managed cluster (and stops it on shutdown) or checks the external one.
struct PostgresService: Service {
    let managed: ManagedPostgres?
    let url: DatabaseURL
    let gate: ReadinessGate
    let logger: Logger

    func run() async throws {
        do {
            if let managed {
                try await Blocking.run { try managed.initializeIfNeeded(logger: logger) }
                let started = try await Blocking.run { try managed.start(logger: logger) }
                do {
                    try await createDatabaseIfMissing(managed)
                } catch {
                    if started { try? await Blocking.run { try managed.stop() } }
                    throw error
                }
                await gate.markReady("postgres", detail: url.description)
                // Wait for shutdown, then stop the cluster: services after this one have already stopped.
                try? await gracefulShutdown()
                // A cluster adopted from a run that was killed is this state directory's cluster all the same: it
                // stops with the stack (else it ran on after every later `stack down`).
                logger.notice("stopping managed postgres", metadata: started ? [:] : ["postgres.adopted": "true"])
                try await Blocking.run { try managed.stop() }
            } else {
                await gate.markReady("postgres", detail: url.description)
                try? await gracefulShutdown()
            }
        } catch {
            await gate.markFailed("postgres", reason: PostgresErrorText.describe(error))
            throw error
        }
    }

    private func createDatabaseIfMissing(_ managed: ManagedPostgres) async throws {
        let admin = managed.url.with(database: "postgres")
        let name = managed.database
        try await PostgresClient.withClient(admin, logger: logger) { client in
            let rows = try await client.query("SELECT 1 FROM pg_database WHERE datname = \(name)", logger: logger)
            for try await _ in rows { return }
            try await client.query(
                PostgresQuery(unsafeSQL: "CREATE DATABASE \(Identifier.quoted(name))"), logger: logger)
            logger.notice("created database", metadata: ["postgres.database": "\(name)"])
        }
    }
}

/// Runs blocking work (child processes, file I/O) off the cooperative thread pool.
enum Blocking {
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try work() })
            }
        }
    }
}
