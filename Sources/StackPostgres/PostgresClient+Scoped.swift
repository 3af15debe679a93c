import Logging
import PostgresNIO

extension PostgresClient {
    /// Runs `body` with a client for `url` whose pool runs for exactly the body's duration.
    ///
    /// For one-shot commands (doctor, schema, seed, tests); `stack up` runs its client as a Service instead.
    /// `maximumConnections` overrides the pool size of `url.clientConfiguration()`.
    public static func withClient<Result: Sendable>(
        _ url: DatabaseURL, maximumConnections: Int? = nil, logger: Logger,
        _ body: @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        var configuration = try url.clientConfiguration()
        if let maximumConnections { configuration.options.maximumConnections = maximumConnections }
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
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
