import ArgumentParser
import Foundation
import StackBench

/// `stack bench`: measures a real stack from outside and prints one table.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a real stack (child process, its own managed Postgres) and print a table.",
        discussion: """
            Starts `stack up` on a managed Postgres under <state_dir>/bench (initdb on the first run), then measures:
            startup time; replication of one large transaction (vs INSERT into an unreplicated table); initial sync of
            --rows rows to one client (vs COPY … TO STDOUT of the same rows, same run); fan-out latency from commit to
            line received at --clients clients of one user; server RSS and CPU with --streams idle streams.
            Throughput figures run --repeat times: the table shows the median and the range. Build with
            `swift build -c release` first: a debug build measures the compiler, not the stack.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Rows for the replication and initial-sync figures.") var rows = 100_000
    @Option(help: "Idle streams for the memory/CPU figure.") var streams = 1000
    @Option(help: "Clients of one user for the fan-out figure.") var clients = 100
    @Option(help: "Commits timed in the fan-out figure.") var commits = 30
    @Option(help: "Repetitions of each throughput figure.") var `repeat` = 3
    @Flag(help: "Print the figures as JSON.") var json = false

    func validate() throws {
        guard rows > 0, streams > 0, clients > 0, commits > 0, `repeat` > 0 else {
            throw ValidationError("--rows, --streams, --clients, --commits and --repeat must be positive")
        }
    }

    func run() async throws {
        _ = global.logger()
        let config = try global.loadConfig()
        var options = BenchOptions(
            directory: URL(fileURLWithPath: config.stateDir).appendingPathComponent("bench").path)
        options.rows = rows
        options.idleStreams = streams
        options.fanoutClients = clients
        options.fanoutCommits = commits
        options.repeats = `repeat`
        let quiet = json
        let figures = try await StackBenchmark.run(options) { line in
            if !quiet { Console.error("bench: " + line) }
        }
        if json {
            Console.json(BenchReport(machine: BenchReport.machine(), figures: figures))
            return
        }
        Console.out(BenchReport.table(figures, machine: BenchReport.machine()))
    }
}

/// The bench output: figures and the machine they ran on.
struct BenchReport: Encodable {
    var machine: String
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
