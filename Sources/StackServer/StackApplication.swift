import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceLifecycle
import StackAuth
import StackConfig
import StackCore
import StackPostgres

/// The composition root of `stack up`: every component as a Service in one ServiceGroup, in dependency order
/// (Postgres → database setup → HTTP servers), health-gated, shut down in reverse order on SIGINT/SIGTERM.
public final class StackApplication: Sendable {
    /// What to do once everything is ready.
    public enum ReadyAction: Sendable {
        /// Keep serving until a signal arrives.
        case keepRunning
        /// Shut down now (after `--exec` finished).
        case shutDown
    }

    /// The configuration being served.
    public let config: StackConfig
    private let logger: Logger
    private let handleSignals: Bool

    /// Creates the application; `handleSignals` is false in tests that stop it themselves.
    public init(config: StackConfig, logger: Logger, handleSignals: Bool = true) {
        self.config = config
        self.logger = logger
        self.handleSignals = handleSignals
    }

    /// Checks what can be checked before anything starts, so a bad setup leaves nothing half-started.
    public func preflight() throws -> ManagedPostgres? {
        for (key, address) in [("api.listen", config.api.listen), ("sync.listen", config.sync.listen)]
        where address.port != 0 {
            guard let problem = PortProbe.bindProblem(host: address.host, port: address.port) else { continue }
            guard problem == .inUse else {
                throw StackError(
                    "STACK-S001",
                    "\(key) \(address): \(problem.describe(host: address.host, port: address.port)). Set \(key) in "
                        + "\(config.file).")
            }
            throw StackError(
                "STACK-S001",
                "\(key) \(address) is already in use. Stop the other program (is a stack already running? "
                    + "try stack status / stack down) or set \(key) in \(config.file).")
        }
        guard config.postgres.isManaged else {
            _ = try DatabaseURL(parsing: config.postgres.url!)
            return nil
        }
        let managed = try ManagedPostgres.prepare(settings: config.postgres.managed, stateDir: config.stateDir)
        if managed.isInitialized {
            // Fails early on a data directory from another major version.
            try managed.initializeIfNeeded(logger: logger)
        }
        return managed
    }

    /// Runs until shutdown. `whenReady` is called once with the endpoints when every component is up.
    public func run(
        whenReady: @escaping @Sendable (StackEndpoints, @escaping @Sendable () -> Void) async -> ReadyAction
    ) async throws {
        let managed = try preflight()
        let secret = try SecretStore.resolve(config: config)
        let url = try managed?.url ?? DatabaseURL(parsing: config.postgres.url!)
        let client = PostgresClient(configuration: try url.clientConfiguration(), backgroundLogger: logger)
        let gate = ReadinessGate(expected: ["postgres", "database", "api", "sync"])
        let context = StackContext(
            config: config, client: client, databaseURL: url,
            availability: DatabaseAvailability(url: url, logger: logger), secret: secret, gate: gate, logger: logger)
        let liveComponents = try StackComponents.make(context)
        let extraReadiness = liveComponents.reduce(into: Set<String>()) { $0.formUnion($1.readinessNames) }
        await gate.expect(extraReadiness)
        let httpDependencies: Set<String> = ["database"]
        let authConfiguration = try AuthConfiguration(config: config, secret: secret)
        let apiCORS = CORSPolicy(isTrustedForCookies: { authConfiguration.isTrusted(originHeader: $0) })
        let syncCORS = CORSPolicy(isTrustedForCookies: { _ in false })

        var services: [any Service] = [
            PostgresService(managed: managed, url: url, gate: gate, logger: logger),
            client,
            DatabaseSetupService(
                config: config, client: client, url: url,
                migrations: liveComponents.flatMap(\.migrations).map { ($0.namespace, $0.migrations) },
                gate: gate, logger: logger),
        ]
        services += liveComponents.flatMap(\.services)
        services += [
            HTTPService(
                name: "api", address: config.api.listen,
                makeRouter: {
                    let router = Router(context: StackRequestContext.self)
                    // Before the routes: a middleware wraps only routes added after it (and the 404 responder).
                    router.add(middleware: CrossOriginMiddleware(policy: apiCORS))
                    liveComponents.forEach { $0.addAPIRoutes(to: router) }
                    return router
                },
                dependencies: httpDependencies, gate: gate, logger: logger),
            HTTPService(
                name: "sync", address: config.sync.listen,
                makeRouter: {
                    let router = Router(context: StackRequestContext.self)
                    router.add(middleware: CrossOriginMiddleware(policy: syncCORS))
                    liveComponents.forEach { $0.addSyncRoutes(to: router) }
                    return router
                },
                dependencies: httpDependencies, gate: gate, logger: logger),
        ]
        if handleSignals {
            let control = liveComponents.lazy.compactMap { ($0 as? ReplicationComponent)?.control }.first
            services.append(
                SyncRulesReloader(
                    configFile: config.file, stateDir: config.stateDir, control: control, logger: logger))
        }
        services.append(ReadinessGateCloser(gate: gate))
        let group = ServiceGroup(
            configuration: .init(
                services: services.map {
                    .init(
                        service: $0, successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup)
                },
                gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
                logger: logger))
        let runState = RunState(stateDir: config.stateDir)
        let pid = getpid()
        defer { runState.remove(ifOwnedBy: pid) }
        // Read now, as close as possible to when the config was loaded (not once ready, minutes later).
        let settings = ConfigSections.canonical(file: config.file)

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask { [config, logger] in
                do {
                    try await gate.waitForAll()
                } catch {
                    return
                }
                let endpoints = await Self.endpoints(config: config, url: url, gate: gate, managed: managed != nil)
                do {
                    try runState.writeSettings(settings ?? [:])
                    try runState.write(endpoints)
                } catch {
                    logger.warning("cannot write run state", metadata: ["error": "\(error)"])
                }
                let action = await whenReady(endpoints) { Task { await group.triggerGracefulShutdown() } }
                if case .shutDown = action { await group.triggerGracefulShutdown() }
            }
            do {
                try await tasks.waitForAll()
            } catch {
                // Name the component that failed first, not the group's wrapper error.
                if let failure = await gate.firstFailure {
                    throw StackError("STACK-S002", "\(failure.component) failed: \(failure.reason)")
                }
                throw error
            }
        }
        if let failure = await gate.firstFailure {
            throw StackError("STACK-S002", "\(failure.component) failed: \(failure.reason)")
        }
    }

    static func endpoints(config: StackConfig, url: DatabaseURL, gate: ReadinessGate, managed: Bool) async
        -> StackEndpoints
    {
        let apiPort = Int(await gate.detail(of: "api") ?? "") ?? config.api.listen.port
        let syncPort = Int(await gate.detail(of: "sync") ?? "") ?? config.sync.listen.port
        let apiBase = ListenAddress(host: config.api.listen.host, port: apiPort).httpURL
        let syncBase = ListenAddress(host: config.sync.listen.host, port: syncPort).httpURL
        return StackEndpoints(
            pid: getpid(), authURL: apiBase + "/api/auth", jwksURL: config.sync.jwksURI,
            uploadURL: apiBase + "/api/powersync/upload", syncURL: syncBase, databaseURL: url.urlString,
            configPath: config.file, managedPostgres: managed)
    }
}
