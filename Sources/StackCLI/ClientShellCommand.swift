import ArgumentParser
import Foundation
import GRDB
import Logging
import StackClient
import StackCore
import UnixSignals

extension ClientCommand {
    /// `stack client shell`: an interactive session for one device while a background watch keeps it in sync.
    struct Shell: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Interactive session for one device: type client commands while changes stream in.",
            discussion: HelpText.reflow(
                """
                Accepts the verbs of `stack client` without the prefix (insert, update, delete, ls, query, status,
                upload, whoami, offline, online), plus help and quit. While online, a background watch uploads local
                writes and prints each incoming change above the prompt; the half-typed line stays as it was. On a
                terminal the shell edits the line itself: arrows, Home/End, ^A ^E ^K ^U ^W, up/down for history,
                ^L to clear, ^D on an empty line or ^C to leave. When standard input is not a terminal (a script pipes
                commands in), lines are read as they come and no prompt is drawn.
                """))

        @OptionGroup var global: GlobalOptions
        @OptionGroup var options: ClientOptions

        func run() async throws {
            let logger = global.logger()
            let device = try ClientDevice(name: options.device, config: try global.loadConfig())
            try await ClientRun.perform {
                let session = try ClientShell(device: device, global: global, logger: logger)
                try await session.run()
            }
        }
    }
}

/// The shell's loop: reads lines, runs them through the `stack client` command tree, and runs the watch.
struct ClientShell {
    /// Verbs the shell passes to the command tree.
    static let verbs = ["insert", "update", "delete", "ls", "query", "status", "upload", "whoami", "offline", "online"]

    let device: ClientDevice
    let global: GlobalOptions
    let client: SyncClient
    let printer: ChangePrinter
    let screen: ShellScreen

    init(device: ClientDevice, global: GlobalOptions, logger: Logger) throws {
        self.device = device
        self.global = global
        self.client = SyncClient(database: try device.open(), connector: device.connector, logger: logger)
        self.screen = ShellScreen(prompt: "\(device.name)> ")
        self.printer = ChangePrinter(json: false, screen: screen)
    }

    /// Runs until `quit`, end of input, SIGINT or SIGTERM.
    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        Console.out("device \(device.name): type `help` for commands, `quit` to leave")
        let watch = WatchSwitch(client: client, printer: printer)
        defer { screen.restore() }
        await watch.update(online: try isOnline())
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await readLoop(watch: watch) }
                group.addTask {
                    for await _ in signals { return }
                }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            await watch.update(online: false)
            throw error
        }
        await watch.update(online: false)
        screen.finish()
    }

    private func readLoop(watch: WatchSwitch) async throws {
        let lines = StandardInputLines.stream(screen: screen)
        screen.beginLine()
        for await line in lines {
            let words: [String]
            do {
                words = try ShellWords.split(line)
            } catch {
                Console.error(String(describing: error))
                screen.beginLine()
                continue
            }
            guard let verb = words.first else {
                screen.beginLine()
                continue
            }
            switch verb {
            case "quit", "exit":
                return
            case "help", "?":
                await printHelp(words.dropFirst().first)
            case _ where Self.verbs.contains(verb):
                await runInterruptibly(words)
                if verb == "offline" || verb == "online" { await watch.update(online: (try? isOnline()) ?? false) }
            default:
                Console.error("unknown command '\(verb)'; type `help`")
            }
            screen.beginLine()
        }
    }

    /// The `stack client …` arguments of a shell line for `device`. The shell is bound to one device and config, so
    /// `--device`/`--config` on a line are refused (they were silently overridden); `query`'s words after the verb are
    /// one SQL text, quoted or not.
    static func arguments(_ words: [String], device: String, config: String?, verbose: Bool) throws(ShellLineError)
        -> [String]
    {
        for word in words {
            let flag = word.split(separator: "=", maxSplits: 1).first.map(String.init) ?? word
            if flag == "--device" || flag == "--config" {
                throw ShellLineError(
                    "\(flag) cannot be used here: this shell works on device \(device); start "
                        + "`stack client shell --device NAME` for another one")
            }
        }
        var words = words
        if words.first == "query" {
            let rest = words.dropFirst()
            let sql = rest.filter { !$0.hasPrefix("--") }
            words = ["query"] + (sql.isEmpty ? [] : [sql.joined(separator: " ")]) + rest.filter { $0.hasPrefix("--") }
        }
        var arguments = words + ["--device", device]
        if let config { arguments += ["--config", config] }
        if verbose { arguments.append("--verbose") }
        return arguments
    }

    /// Runs a command line; ^C (or the shell ending) cancels it.
    private func runInterruptibly(_ words: [String]) async {
        let command = Task { await ShellContext.$active.withValue(true) { await runCommand(words) } }
        screen.onInterrupt { command.cancel() }
        defer { screen.onInterrupt {} }
        await withTaskCancellationHandler {
            await command.value
        } onCancel: {
            command.cancel()
        }
    }

    /// Parses `words` as `stack client …` for this device and runs the command, printing any error.
    private func runCommand(_ words: [String]) async {
        let arguments: [String]
        do {
            arguments = try Self.arguments(words, device: device.name, config: global.config, verbose: global.verbose)
        } catch {
            Console.error(error.message)
            return
        }
        do {
            var command = try ClientCommand.parseAsRoot(arguments)
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch _ where Task.isCancelled {
            Console.error("interrupted")
        } catch is ExitCode {
            // The command already printed its error.
        } catch {
            // Parse errors, and `--help` (a clean exit whose message is the help text).
            let message = ClientCommand.fullMessage(for: error)
            if message.isEmpty { return }
            if ClientCommand.exitCode(for: error) == .success { Console.out(message) } else { Console.error(message) }
        }
    }

    private func printHelp(_ verb: String?) async {
        if let verb, Self.verbs.contains(verb) { return await runCommand([verb, "--help"]) }
        Console.out(
            """
            commands (as `stack client …`, without --device/--config):
              insert TABLE col=value …        update TABLE ID col=value …     delete TABLE ID
              ls TABLE [--json]               query "SQL" [--json]            status [--json]
              upload   whoami   offline   online   help [COMMAND]   quit
            incoming changes print as `TABLE ID insert|update|delete col=value …`
            """)
    }

    private func isOnline() throws -> Bool {
        try client.database.read { db in try ClientDatabase.kv(db, ClientKV.offline) } != "1"
    }
}

/// Whether a command runs inside `stack client shell` (which syncs in the background while online).
enum ShellContext {
    @TaskLocal static var active = false
}

/// Starts and stops the shell's background watch (it runs only while the device is online).
actor WatchSwitch {
    let client: SyncClient
    let printer: ChangePrinter
    // The running watch; cancelled and awaited when the device goes offline or the shell ends.
    private var task: Task<Void, Never>?
    private var generation = 0

    init(client: SyncClient, printer: ChangePrinter) {
        self.client = client
        self.printer = printer
    }

    /// Runs the watch when `online`, else stops it (and waits until it has stopped).
    func update(online: Bool) async {
        if online, task == nil {
            let client = client
            let printer = printer
            generation += 1
            let current = generation
            task = Task {
                do {
                    try await client.watch(onEvent: printer.print)
                } catch is CancellationError {
                } catch {
                    let text = (error as? any CodedError)?.description ?? String(describing: error)
                    printer.note("sync stopped: \(text); type `online` to start it again")
                }
                self.ended(current)
            }
        } else if !online, let running = task {
            task = nil
            running.cancel()
            await running.value
        }
    }

    // A watch that stopped by itself (an error) is forgotten, so `online` starts a new one.
    private func ended(_ ended: Int) {
        if ended == generation { task = nil }
    }
}

/// Standard input as lines, read on a background thread (reading blocks): keys through the screen's line editor
/// on a terminal, plain lines otherwise.
enum StandardInputLines {
    /// The lines; finishes at end of input (or ^D on an empty line).
    static func stream(screen: ShellScreen) -> AsyncStream<String> {
        let (lines, continuation) = AsyncStream<String>.makeStream()
        screen.onSubmit { line in
            if let line { continuation.yield(line) } else { continuation.finish() }
        }
        let interactive = screen.isInteractive
        let thread = Thread {
            if interactive {
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
                    if count < 0, errno == EINTR { continue }
                    guard count > 0 else { break }
                    screen.receive(buffer[..<count])
                }
            } else {
                while let line = readLine(strippingNewline: true) { continuation.yield(line) }
            }
            continuation.finish()
        }
        thread.start()
        return lines
    }
}

/// Splits a shell line into words: spaces separate, '…' and "…" quote, backslash escapes.
enum ShellWords {
    /// An unterminated quote.
    struct UnterminatedQuote: Error, CustomStringConvertible {
        var description: String { "unterminated quote; close it with the same quote character" }
    }

    /// The words of `line`.
    static func split(_ line: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" && quote != "'" {
                escaped = true
                inWord = true
            } else if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
                inWord = true
            } else if character == " " || character == "\t" {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        if quote != nil { throw UnterminatedQuote() }
        if inWord { words.append(current) }
        return words
    }
}

/// A shell line that cannot run as typed.
struct ShellLineError: Error, Equatable {
    let message: String

    init(_ message: String) { self.message = message }
}
