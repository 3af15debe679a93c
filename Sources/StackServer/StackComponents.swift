/// The features `stack up` runs, in dependency order. Each feature issue adds its component here.
enum StackComponents {
    static func make(_ context: StackContext) throws -> [any StackComponent] {
        let replication = ReplicationComponent(context: context)
        return [
            CoreComponent(context: context),
            try AuthComponent(context: context),
            try UploadComponent(context: context),
            replication,
            try SyncComponent(context: context, storage: replication.storage),
        ]
    }
}
