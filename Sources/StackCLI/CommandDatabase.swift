import Foundation
import Logging
import PostgresNIO
import StackConfig
import StackCore
import StackPostgres

/// The configured database for one-shot commands (`token`, `auth rotate-keys`), reachable without `stack up`.
enum CommandDatabase {
    /// Runs `body` with a client for the configured database.
    ///
    /// A managed cluster that is not running is started for the duration of the command and stopped afterwards;
    /// one that `stack up` runs is used as it is.
    static func withClient<Result: Sendable>(
        config: StackConfig, logger: Logger, _ body: @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        guard config.postgres.isManaged else {
            return try await PostgresClient.withClient(try DatabaseURL(parsing: config.postgres.url!), logger: logger, body)
        }
        let managed = try ManagedPostgres.prepare(settings: config.postgres.managed, stateDir: config.stateDir)
        guard managed.isInitialized else {
            throw StackError(
                "STACK-A040",
                "the managed Postgres in \(managed.dataDir) does not exist yet. Run stack up once to create it.")
        }
        let started = try await offPool { try managed.start(logger: logger) }
        do {
            let result = try await PostgresClient.withClient(managed.url, logger: logger, body)
            if started { try await offPool { try managed.stop() } }
            return result
        } catch {
            if started { try? await offPool { try managed.stop() } }
            throw error
        }
    }

    /// Blocking work (pg_ctl) on a dispatch thread, not the cooperative pool.
    private static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }
}
