import ArgumentParser
import StackConfig

/// `stack schema`: the data model in each dialect, generated from the config.
struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the config's data model as Postgres SQL, SQLite SQL, Drizzle (pg / sqlite) or Swift.")

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "One of: \(SchemaFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: SchemaFormat = .pgSQL

    func run() async throws {
        let config = try global.loadConfig()
        Console.out(SchemaRenderer(schema: config.schema).render(format))
    }
}

extension SchemaFormat: ExpressibleByArgument {}
