/// The features `stack up` runs, in dependency order. Each feature issue adds its component here.
enum StackComponents {
    static func make(_ context: StackContext) throws -> [any StackComponent] {
        [
            CoreComponent(context: context),
            try AuthComponent(context: context),
            try UploadComponent(context: context),
            ReplicationComponent(context: context),
        ]
    }
}
