import ArgumentParser
import Foundation
import StackDoctor

/// `stack doctor`: checks the whole chain; exit 0 clean or warnings only, 1 on any error, 2 if it cannot run.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check config, Postgres, publication, tables, slots, auth and ports; print a fix for each problem.",
        discussion: "Exit status: 0 clean or warnings only, 1 on any error, 2 if doctor itself cannot run.")

    @OptionGroup var global: GlobalOptions

    @Flag(name: .long, help: "Print the checks as JSON.")
    var json = false

    @Option(name: .long, help: "Warn when a replication slot holds back more WAL than this many MB.")
    var lagWarningMB: Int = 256

    func run() async throws {
        let logger = global.logger()
        var options = Doctor.Options()
        options.lagWarningBytes = Int64(lagWarningMB) * 1024 * 1024
        let report = await Doctor(configPath: global.config, options: options, logger: logger).run()
        if json {
            Console.json(DoctorJSON(checks: report.checks, summary: report.summary, error: report.cannotRun))
        } else {
            Console.out(report.text)
        }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}

/// `--json` shape: `{"checks": [...], "summary": {"ok": n, …}}`.
struct DoctorJSON: Encodable {
    let checks: [DoctorCheck]
    let summary: [String: Int]
    let error: String?
}
