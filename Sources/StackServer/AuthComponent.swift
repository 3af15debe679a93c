import Hummingbird
import Logging
import ServiceLifecycle
import StackAuth

/// The BetterAuth-compatible auth server on `api.listen` (`/api/auth/*`, `/api/powersync/config`).
struct AuthComponent: StackComponent {
    let service: AuthService
    let gate: ReadinessGate
    let logger: Logger

    init(context: StackContext) throws {
        var logger = context.logger
        logger[metadataKey: "component"] = "auth"
        let configuration = try AuthConfiguration(config: context.config, secret: context.secret)
        service = try AuthService(
            configuration: configuration, client: context.client, availability: context.availability, logger: logger)
        gate = context.gate
        self.logger = logger
    }

    var migrations: [MigrationSet] {
        [MigrationSet(namespace: AuthMigrations.namespace, migrations: AuthMigrations.all)]
    }

    func addAPIRoutes(to router: Router<StackRequestContext>) {
        AuthRoutes<StackRequestContext>(service: service).register(on: router)
    }

    var services: [any Service] { [AuthKeyCheckService(service: service, gate: gate, logger: logger)] }

    var readinessNames: Set<String> { ["auth"] }
}

/// At startup, proves the configured secret decrypts the stored signing keys; the stack fails otherwise.
struct AuthKeyCheckService: Service {
    let service: AuthService
    let gate: ReadinessGate
    let logger: Logger

    func run() async throws {
        do {
            try await gate.wait(for: ["database"])
        } catch {
            try? await gracefulShutdown()
            return
        }
        do {
            let count = try await service.validateStoredKeys()
            logger.debug("signing keys loaded", metadata: ["auth.keys": "\(count)"])
            await gate.markReady("auth")
        } catch {
            await gate.markFailed("auth", reason: "\(error)")
            throw error
        }
        // A service that returns ends the group: stay until shutdown.
        try? await gracefulShutdown()
    }
}
