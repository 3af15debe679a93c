import Hummingbird
import StackAuth
import StackUpload

/// The upload API on `api.listen` (`PUT /api/powersync/upload`).
struct UploadComponent: StackComponent {
    let routes: UploadRoutes<StackRequestContext>

    init(context: StackContext) throws {
        var logger = context.logger
        logger[metadataKey: "component"] = "upload"
        // Its own AuthService over the same tables and secret: authentication only, keys reloaded from the table.
        let auth = try AuthService(
            configuration: try AuthConfiguration(config: context.config, secret: context.secret),
            client: context.client,
            availability: context.availability, logger: logger)
        let service = UploadService(schema: context.config.schema, client: context.client, logger: logger)
        routes = UploadRoutes(service: service, auth: auth, maximumBodyBytes: context.config.api.maxBodyBytes)
    }

    var migrations: [MigrationSet] {
        [MigrationSet(namespace: UploadMigrations.namespace, migrations: UploadMigrations.all)]
    }

    func addAPIRoutes(to router: Router<StackRequestContext>) {
        routes.register(on: router)
    }
}
