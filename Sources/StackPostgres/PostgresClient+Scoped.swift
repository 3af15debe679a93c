import Logging
import PostgresNIO

extension PostgresClient {
    /// Runs `body` with a client for `url` whose pool runs for exactly the body's duration.
    ///
    /// For one-shot commands (doctor, schema, seed, tests); `stack up` runs its client as a Service instead.
    public static func withClient<Result: Sendable>(
        _ url: DatabaseURL, logger: Logger, _ body: @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let client = PostgresClient(configuration: try url.clientConfiguration(), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            // Wait until the run task has started: an immediate first query would usually log "run() hasn't been
            // called yet" (harmless: the lease waits for run()). Narrows the race; PostgresNIO offers no ready signal.
            let (started, signal) = AsyncStream<Void>.makeStream()
            group.addTask {
                signal.finish()
                await client.run()
            }
            for await _ in started {}
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}
