import ArgumentParser
import Foundation
import StackBench

/// `stack bench`: measures a real stack from outside and prints one table.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a real stack (child process, its own managed Postgres) and print a table.",
        discussion: HelpText.reflow(
            """
            Starts `stack up` on a managed Postgres under <state_dir>/bench (initdb on the first run), then measures:
            startup time; server RSS and CPU with --streams idle streams; snapshot of --rows existing rows (kill -9,
            drop the stream, restart; vs COPY … TO STDOUT of the table); a fresh in-process StackClient device
            applying them into SQLite (vs a plain SQLite bulk insert of the same rows; before each of these timed
            rounds and their baselines the page cache's dirty pages are written out, so no round pays for the
            writeback of the one before); replication of one --rows
            transaction (vs INSERT into an unreplicated table) and of --rows single-row transactions over 16
            connections, first commit to the checkpoint covering the last (vs the same commits into an unreplicated
            table); initial sync of --rows rows to one client (vs COPY … TO
            STDOUT of the same rows); upload of client transactions of 1,000 PUTs (vs a multi-row INSERT of the same
            rows); end-to-end latency from an insert on device A to its apply on device B; fan-out latency from commit
            to line received at --clients clients of one user; replication lag under a steady load: single-row
            commits paced at --lag-rate per second for --lag-seconds, each from commit returned to the checkpoint
            notification covering it (p50/p99, vs the COMMIT's own round trip, with the rate achieved). Every figure
            runs --runs times: the table shows the median and the range. --kill-loop N adds N rounds of kill -9
            during a write burst, each checked for every committed row in its bucket exactly once. Build with `swift
            build -c release` first: a debug build measures the compiler, not the stack.
            """))

    @OptionGroup var global: GlobalOptions
    @Option(help: "Rows for the snapshot, client-apply, replication and initial-sync figures.") var rows: Int?
    @Option(help: "Idle streams for the memory/CPU figure.") var streams: Int?
    @Option(help: "Clients of one user for the fan-out figure.") var clients: Int?
    @Option(help: "Commits timed per run in the fan-out figure.") var commits: Int?
    @Option(help: "Client transactions of 1,000 PUTs per run in the upload figure.") var uploads: Int?
    @Option(help: "Edits timed per run in the end-to-end latency figure.") var edits: Int?
    @Option(name: .customLong("lag-rate"), help: "Single-row commits per second in the lag figure (default 1000).")
    var lagRate: Int?
    @Option(name: .customLong("lag-seconds"), help: "Seconds of paced commits per run in the lag figure (default 10).")
    var lagSeconds: Int?
    @Option(name: [.customLong("runs"), .customLong("repeat")], help: "Repetitions of every figure (default 3).")
    var runs: Int?
    @Option(name: .customLong("kill-loop"), help: "Rounds of kill -9 during a write burst (default 0: off).")
    var killLoop = 0
    @Flag(help: "The smallest sizes that run every figure (a check that the bench works, not a measurement).")
    var quick = false
    @Flag(help: "Print the figures as JSON.") var json = false

    func validate() throws {
        let sizes = [rows, streams, clients, commits, uploads, edits, runs, lagRate, lagSeconds].compactMap { $0 }
        guard sizes.allSatisfy({ $0 > 0 }), killLoop >= 0 else {
            throw ValidationError(
                "--rows, --streams, --clients, --commits, --uploads, --edits, --runs, --lag-rate and --lag-seconds "
                    + "must be positive; --kill-loop must not be negative")
        }
    }

    func run() async throws {
        _ = global.logger()
        let config = try global.loadConfig()
        let directory = URL(fileURLWithPath: config.stateDir).appendingPathComponent("bench").path
        var options = quick ? BenchOptions.quick(directory: directory) : BenchOptions(directory: directory)
        if let rows { options.rows = rows }
        if let streams { options.idleStreams = streams }
        if let clients { options.fanoutClients = clients }
        if let commits { options.fanoutCommits = commits }
        if let uploads { options.uploadTransactions = uploads }
        if let edits { options.edits = edits }
        if let runs { options.runs = runs }
        if let lagRate { options.lagRate = lagRate }
        if let lagSeconds { options.lagSeconds = lagSeconds }
        options.killLoop = killLoop
        let quiet = json
        let figures = try await StackBenchmark.run(options) { line in
            if !quiet { Console.error("bench: " + line) }
        }
        if json {
            Console.json(BenchReport(machine: BenchReport.machine(), options: options, figures: figures))
            return
        }
        Console.out(BenchReport.table(figures, machine: BenchReport.machine()))
    }
}

/// The bench output: figures and the machine they ran on.
struct BenchReport: Encodable {
    var machine: String
    var options: BenchOptions
    var figures: [BenchFigure]

    static func machine() -> String {
        let cpu =
            (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        let memory =
            (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8))?
            .split(separator: "\n").first?.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return "\(ProcessInfo.processInfo.activeProcessorCount) cores (\(cpu)), \(memory / 1_048_576) GiB"
    }

    static func number(_ value: Double) -> String {
        if value >= 100 { return String(Int(value.rounded())) }
        return String(format: "%.2f", value)
    }

    /// A Markdown table (pastes into the README as is).
    static func table(_ figures: [BenchFigure], machine: String) -> String {
        var lines = [
            "Machine: \(machine)", "",
            "| figure | median | range | unit | vs baseline |", "|---|---:|---:|---|---|",
        ]
        for figure in figures {
            let range = figure.samples > 1 ? "\(number(figure.min))–\(number(figure.max))" : ""
            let versus = figure.ratio.map { String(format: "%.2f× ", $0) + (figure.baseline ?? "") } ?? ""
            lines.append("| \(figure.name) | \(number(figure.value)) | \(range) | \(figure.unit) | \(versus) |")
        }
        return lines.joined(separator: "\n")
    }
}
