import ArgumentParser
import Foundation
import StackAuth
import StackConfig
import StackPostgres
import StackSeed
import StackServer

/// `stack seed`: loads `sample-data/` into the configured database through the real auth and insert paths.
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Load the demo users and their projects, documents, versions and groups from sample-data/.",
        discussion: HelpText.reflow(
            """
            Users are signed up through the auth code (real password hashes); their rows are inserted in batches.
            Idempotent: ids are deterministic and existing rows are kept, so a second run inserts nothing.
            The database is prepared as stack up does (auth tables, app tables, publication). A managed Postgres
            must exist (run stack up once); if it is not running it is started for the command.
            --reset first empties the app tables, the auth users and sessions, and the sync storage (replication
            re-snapshots on the next stack up); it refuses while a stack is running, and on a postgres.url
            database unless --force is given.
            """))

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Sample data folder (default: ./sample-data, else one next to the config file).")
    var data: String?

    @Flag(name: .long, help: "Empty app tables, auth users and sync storage first.")
    var reset = false

    @Flag(name: .long, help: "Allow --reset on a database stack does not manage (postgres.url).")
    var force = false

    @Option(name: .long, help: "Generate N times the templated documents (for benchmarks).")
    var scale = 1

    @Option(name: [.short, .customLong("output")], help: "Output format: text or json.")
    var output: ReportFormat = .text

    func validate() throws {
        guard (1...10_000).contains(scale) else { throw ValidationError("--scale must be between 1 and 10000") }
    }

    func run() async throws {
        let logger = global.logger()
        let config = try global.loadConfig()
        let options = Seeder.Options(
            scale: scale, reset: reset, force: force, databaseIsManaged: config.postgres.isManaged)
        do {
            let sample = try SampleData.load(directory: try SampleData.locate(explicit: data, configFile: config.file))
            try Seeder.check(config: config, data: sample, options: options)
            if reset, let running = RunState(stateDir: config.stateDir).read() {
                Console.error(
                    "STACK-E011: --reset needs replication stopped, but stack up is running (pid \(running.pid)). "
                        + "Run stack down, then stack seed --reset.")
                throw ExitCode(1)
            }
            let auth = try AuthConfiguration(config: config, secret: try SecretStore.resolve(config: config))
            let progress = ProgressPrinter(label: "seeding rows", enabled: output == .text)
            let report = try await CommandDatabase.withClient(config: config, logger: logger) { client in
                try await Seeder(config: config, data: sample, auth: auth, client: client, logger: logger)
                    .run(options: options, progress: { progress.update(done: Int64($0.done), total: Int64($0.total)) })
            }
            progress.finish()
            if output == .json {
                Console.json(report)
            } else {
                printText(report, running: RunState(stateDir: config.stateDir).read() != nil)
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            Console.error(PostgresErrorText.describe(error))
            throw ExitCode(1)
        }
    }

    private func printText(_ report: SeedReport, running: Bool) {
        let rows = report.inserted + report.existing
        if report.nothingChanged {
            Console.out(
                "nothing to do: all \(report.users.count) users and \(rows.grouped) rows were already there "
                    + "(stack seed --reset starts over)")
        } else {
            let created = report.users.filter(\.created).count
            if !report.resetTables.isEmpty {
                Console.out("reset: emptied \(report.resetTables.count) tables; replication re-snapshots on stack up")
            }
            Console.out(
                "seeded \(report.users.count) users (\(created) new) and \(report.inserted.grouped) new rows "
                    + "(\(report.existing.grouped) already there) in \(String(format: "%.1f", report.seconds)) s, "
                    + "\(report.rowsPerSecond.grouped) rows/s")
            let width = max(12, report.tables.map(\.name.count).max() ?? 0)
            Console.out("  " + "table".padding(width) + "  inserted  existing")
            for table in report.tables {
                Console.out(
                    "  " + table.name.padding(width) + "  " + table.inserted.grouped.leftPadding(8) + "  "
                        + table.existing.grouped.leftPadding(8))
            }
        }
        Console.out("demo users:")
        let width = report.users.map(\.email.count).max() ?? 0
        for user in report.users {
            Console.out("  " + user.email.padding(width) + "  password: " + user.password)
            if !user.passwordMatches {
                Console.out("    (this user existed before with another password; the one above does not work)")
            }
        }
        let configFlag = global.config.map { " --config " + Console.shellQuoted($0) } ?? ""
        guard let first = report.users.first else { return }
        Console.out("next:")
        if !running { Console.out("  stack up\(configFlag) --detach") }
        Console.out(
            "  stack client sign-in\(configFlag) --email \(first.email) --password \(Console.shellQuoted(first.password))"
        )
        Console.out("  stack client sync\(configFlag)")
    }
}

extension BinaryInteger {
    /// The number with thousands separators (`12,345`).
    var grouped: String {
        let digits = String(self.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (self < 0 ? "-" : "") + out
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    fileprivate func leftPadding(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
