import ArgumentParser

/// The root of the command tree.
public struct StackCommand: AsyncParsableCommand {
    /// Command metadata and subcommands.
    public static let configuration = CommandConfiguration(
        commandName: "stack",
        abstract: "The whole offline-first sync architecture (auth, upload API, replication, sync) in one process.",
        discussion: HelpText.reflow("""
            Configuration comes from one file: --config PATH, else ./stack.yaml, else dev/stack.yaml.
            Start with `stack up`; `stack doctor` checks the whole chain and prints fixes.
            """),
        version: "0.1.0",
        subcommands: [
            UpCommand.self, DownCommand.self, StatusCommand.self, DoctorCommand.self, SchemaCommand.self, AuthCommand.self,
            TokenCommand.self, ClientCommand.self, SyncRulesCommand.self, SyncCommand.self, SeedCommand.self,
            ExportCommand.self, BenchCommand.self,
        ]
    )

    /// Creates the command (ArgumentParser needs it).
    public init() {}
}
