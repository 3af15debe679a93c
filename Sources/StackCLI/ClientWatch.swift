import Foundation
import StackClient
import StackCore
import UnixSignals

/// Prints what a watching device receives: one stdout line per changed row, notes about the connection on stderr.
struct ChangePrinter: Sendable {
    /// One JSON object per line instead of text.
    var json = false
    /// In the shell: its screen, which prints lines above the prompt and the half-typed input.
    var screen: ShellScreen?

    /// The text form: `TABLE ID OP col=value …` (values as JSON: strings quoted, NULL as null).
    static func text(_ change: RowChange) -> String {
        var line = "\(change.table) \(change.id) \(change.operation.rawValue)"
        for key in change.columns.keys.sorted() { line += " \(key)=\(Self.encode(change.columns[key]!))" }
        return line
    }

    /// The JSON form: `{"columns":{…},"id":…,"op":…,"table":…}` on one line.
    static func jsonLine(_ change: RowChange) -> String {
        encode(
            JSONValue.object([
                "table": .string(change.table), "id": .string(change.id), "op": .string(change.operation.rawValue),
                "columns": .object(change.columns),
            ]))
    }

    /// Prints the lines for one sync event.
    func print(_ event: SyncEvent) {
        switch event {
        case .checkpoint(_, .applied, let changes):
            for change in changes.rows { out(json ? Self.jsonLine(change) : Self.text(change)) }
            if changes.rows.count >= SyncStorage.defaultChangeLimit {
                note("(more rows changed than are listed; see `stack client ls`)")
            }
        case .checkpoint(_, .checksumMismatch(let buckets), _):
            note("checksum mismatch in bucket(s) \(buckets.joined(separator: ", ")): dropped, downloading again")
        case .checkpoint(_, .deferred, _):
            break
        case .uploaded(let summary):
            if summary.completed > 0 {
                note("uploaded \(summary.completed) transaction(s), \(summary.rejected) rejected")
            }
        case .connected:
            note("connected")
        case .disconnected(let reason):
            note("disconnected: \(reason); reconnecting")
        case .progress:
            break  // watch prints the changed rows once a checkpoint applies
        }
    }

    private func out(_ line: String) {
        guard let screen else { return Console.out(line) }
        screen.printAbove(line)
    }

    /// A note about the connection (stderr, or above the shell's prompt).
    func note(_ line: String) {
        guard let screen else { return Console.error(line) }
        screen.printAbove("-- " + line)
    }

    private static func encode(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}

/// `sync --watch`: runs a device's watch until SIGINT or SIGTERM.
enum ClientWatch {
    /// Runs `client.watch` printing with `printer`; returns normally on SIGINT/SIGTERM, throws when the watch fails.
    static func run(_ client: SyncClient, printer: ChangePrinter) async throws {
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.watch(onEvent: printer.print) }
            group.addTask {
                for await _ in signals { return }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
