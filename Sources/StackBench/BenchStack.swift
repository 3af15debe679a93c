import Foundation
import StackConfig
import StackCore
import StackPostgres

#if canImport(Glibc)
    import Glibc
#endif

/// A real `stack up` child process on its own managed Postgres under `<directory>`, driven by `stack bench`.
struct BenchStack {
    /// What `stack up --detach -o json` printed.
    struct Endpoints: Decodable {
        var pid: Int32
        var syncURL: String
        var uploadURL: String
        var databaseURL: String

        enum CodingKeys: String, CodingKey {
            case pid
            case syncURL = "sync_url"
            case uploadURL = "upload_url"
            case databaseURL = "database_url"
        }
    }

    static let user = "bench-user"
    static let kid = "bench-hs256"
    let configPath: String
    let endpoints: Endpoints
    let audience: String
    let secret: [UInt8]
    /// Seconds `stack up --detach` took until every component was ready.
    let startupSeconds: Double

    /// The config the bench runs: one synced table, a per-user bucket, a static HS256 key for its tokens.
    static func config(directory: String, apiPort: Int, syncPort: Int, secret: [UInt8], maxConnections: Int) -> String {
        """
        state_dir: \(directory)
        postgres:
          managed:
            data_dir: \(directory)/postgres
            database: bench
        auth:
          base_url: http://127.0.0.1:\(apiPort)
          secret: bench-secret-0123456789abcdef0123456789abcdef
          rate_limit: false
        api:
          listen: 127.0.0.1:\(apiPort)
        sync:
          listen: 127.0.0.1:\(syncPort)
          max_connections: \(maxConnections)
          jwks:
            keys:
              - { kty: oct, alg: HS256, kid: \(kid), k: \(BenchToken.base64URL(secret)) }
        schema:
          tables:
            bench_docs:
              columns:
                id: { type: text, primary_key: true }
                owner_id: text
                title: text
                content: text
        sync_rules:
          bucket_definitions:
            by_user:
              parameters: SELECT request.user_id() as user_id
              data:
                - SELECT id, title, content FROM bench_docs WHERE owner_id = bucket.user_id
        """
    }

    /// Writes the config and starts `stack up --detach`; returns once it is ready.
    static func start(directory: String, maxConnections: Int) throws -> BenchStack {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let secret = (0..<32).map { _ in UInt8.random(in: 0...255) }
        let apiPort = try PortProbe.freePort()
        let syncPort = try PortProbe.freePort()
        let path = directory + "/stack.yaml"
        try config(
            directory: directory, apiPort: apiPort, syncPort: syncPort, secret: secret, maxConnections: maxConnections
        )
        .write(toFile: path, atomically: true, encoding: .utf8)
        return try launch(configPath: path, audience: "http://127.0.0.1:\(apiPort)", secret: secret)
    }

    /// Runs `stack up --detach` on an existing bench config.
    static func launch(configPath: String, audience: String, secret: [UInt8]) throws -> BenchStack {
        let started = ContinuousClock.now
        let result = try ProcessRunner.run(selfExecutable(), ["up", "--detach", "--config", configPath, "-o", "json"])
        let elapsed = (ContinuousClock.now - started).seconds
        guard result.status == 0, let start = result.output.firstIndex(of: "{"),
            let endpoints = try? JSONDecoder().decode(Endpoints.self, from: Data(result.output[start...].utf8))
        else {
            throw StackError("STACK-M001", "the bench stack did not start: \(result.output.suffix(2000))")
        }
        return BenchStack(
            configPath: configPath, endpoints: endpoints, audience: audience, secret: secret, startupSeconds: elapsed)
    }

    /// Starts the same config again (after `stop()` or `kill()`).
    func restart() throws -> BenchStack {
        var attempt = 1
        while true {
            do {
                return try Self.launch(configPath: configPath, audience: audience, secret: secret)
            } catch let error as BenchError where error.description.contains("STACK-S001") && attempt < 10 {
                // Right after a kill -9 a port of the old process can stay busy for a moment: try again.
                attempt += 1
                Thread.sleep(forTimeInterval: 1)
            }
        }
    }

    /// `kill -9` of the child: no shutdown at all; its managed Postgres (a separate daemon) keeps running.
    func kill() async throws {
        _ = Glibc.kill(endpoints.pid, SIGKILL)
        // Gone means reaped: a zombie still answers kill(pid, 0), and `stack up` would take it for a running stack.
        let deadline = ContinuousClock.now + .seconds(30)
        while Glibc.kill(endpoints.pid, 0) == 0 {
            guard ContinuousClock.now < deadline else { throw BenchError("pid \(endpoints.pid) survived kill -9") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The app backend's base URL (auth and upload API).
    var apiBaseURL: String { audience }

    /// Stops the child (`stack down`, which stops its managed Postgres) and then the cluster itself, in case the
    /// child was killed before it could.
    func stop() {
        _ = try? ProcessRunner.run(Self.selfExecutable(), ["down", "--config", configPath])
        if let config = try? ConfigLoader().load(explicit: configPath),
            let managed = try? ManagedPostgres.prepare(settings: config.postgres.managed, stateDir: config.stateDir)
        {
            try? managed.stop()
        }
    }

    /// A token for `user`, valid for an hour.
    func token(user: String = BenchStack.user) -> String {
        BenchToken.make(sub: user, audience: audience, kid: Self.kid, secret: secret, lifetime: 3600)
    }

    static func selfExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
