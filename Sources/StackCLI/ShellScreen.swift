import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The shell's terminal: the prompt, the line being typed, and lines printed above it while the user types.
///
/// On a terminal the shell edits the line itself (the kernel's line editing cannot say what was typed so far), so
/// a live change can clear the input, print, and draw the prompt, the half-typed text and the cursor again. When
/// standard input or output is not a terminal (a script pipes commands in), lines are read as they come, no
/// prompt is drawn and printed lines are plain.
final class ShellScreen: Sendable {
    /// The prompt.
    let prompt: String
    /// Whether the shell edits lines on a terminal.
    let isInteractive: Bool
    private let restoreTerminal: @Sendable () -> Void
    private let columns: @Sendable () -> Int
    private let output: @Sendable (String) -> Void
    private let state: Mutex<State>

    private struct State {
        var editor = LineEditor()
        // True while the prompt is shown and keys go to the editor; false while a command runs.
        var reading = false
        var cursorRow = 0
        // Keys typed while a command ran (or after a submitted line in the same read), handled at the next prompt.
        var pendingKeys: [TerminalKey] = []
        var decoder = TerminalKeyDecoder()
        var submitted: (@Sendable (String?) -> Void)?
        var interrupt: (@Sendable () -> Void)?
    }

    /// A screen on standard input/output: interactive when both are terminals (which then switch to character mode).
    convenience init(prompt: String) {
        let mode = TerminalMode.isInteractive ? TerminalMode.enterCharacterMode() : nil
        self.init(
            prompt: prompt, interactive: mode != nil, columns: TerminalMode.columns,
            output: { Console.write($0, to: STDOUT_FILENO) }, restore: { mode?.restore() })
    }

    /// A screen writing to `output`; `restore` runs at `restore()`.
    init(
        prompt: String, interactive: Bool, columns: @escaping @Sendable () -> Int,
        output: @escaping @Sendable (String) -> Void, restore: @escaping @Sendable () -> Void = {}
    ) {
        self.prompt = prompt
        self.isInteractive = interactive
        self.columns = columns
        self.output = output
        self.restoreTerminal = restore
        self.state = Mutex(State())
    }

    /// Puts the terminal back as it was (call once, at the end).
    func restore() {
        restoreTerminal()
    }

    /// Prints `line` above the input: clears the prompt and the half-typed text, prints, and draws them again with
    /// the cursor where it was. While a command runs (no prompt shown) the line is simply printed.
    func printAbove(_ line: String) {
        state.withLock { state in
            guard isInteractive, state.reading else { return output(line + "\n") }
            let renderer = InputLineRenderer(width: columns())
            let drawn = renderer.draw(prompt: prompt, text: state.editor.text, cursor: state.editor.cursor)
            output(InputLineRenderer.erase(cursorRow: state.cursorRow) + line + "\n" + drawn.output)
            state.cursorRow = drawn.cursorRow
        }
    }

    /// Leaves the prompt, if shown, for a fresh line below it (at the end of the shell).
    func finish() {
        state.withLock { state in
            guard isInteractive, state.reading else { return }
            let renderer = InputLineRenderer(width: columns())
            output(renderer.leave(prompt: prompt, text: state.editor.text, cursorRow: state.cursorRow))
            state.reading = false
        }
    }

    /// Sets where submitted lines go (nil: end of input).
    func onSubmit(_ handler: @escaping @Sendable (String?) -> Void) {
        state.withLock { $0.submitted = handler }
    }

    /// Sets what ^C does while a command runs (no prompt shown).
    func onInterrupt(_ handler: @escaping @Sendable () -> Void) {
        state.withLock { $0.interrupt = handler }
    }

    /// Shows the prompt (and anything typed ahead) and handles keys typed ahead.
    func beginLine() {
        guard isInteractive else { return }
        state.withLock { state in
            state.reading = true
            state.cursorRow = 0
            let drawn = InputLineRenderer(width: columns()).draw(
                prompt: prompt, text: state.editor.text, cursor: state.editor.cursor)
            output("\r" + drawn.output)
            state.cursorRow = drawn.cursorRow
            let keys = state.pendingKeys
            state.pendingKeys = []
            _ = handle(keys, &state)  // typed ahead: ^C was taken out when it was typed
        }
    }

    /// Terminal input bytes (read on the input thread).
    func receive(_ bytes: some Sequence<UInt8>) {
        let interrupt = state.withLock { state in
            let keys = state.decoder.push(bytes)
            return handle(keys, &state)
        }
        interrupt?()
    }

    // Feeds keys to the editor while the prompt is shown; the rest wait for the next prompt, except that ^C drops
    // what was typed ahead before it and returns the interrupt handler to call (outside the lock).
    private func handle(_ keys: [TerminalKey], _ state: inout State) -> (@Sendable () -> Void)? {
        var keys = keys[...]
        while state.reading, let key = keys.popFirst() {
            let before = state.editor
            let renderer = InputLineRenderer(width: columns())
            switch state.editor.handle(key) {
            case .edited:
                guard state.editor != before else { continue }
                let drawn = renderer.draw(prompt: prompt, text: state.editor.text, cursor: state.editor.cursor)
                output(InputLineRenderer.erase(cursorRow: state.cursorRow) + drawn.output)
                state.cursorRow = drawn.cursorRow
            case .clearScreen:
                let drawn = renderer.draw(prompt: prompt, text: state.editor.text, cursor: state.editor.cursor)
                output("\u{1B}[H\u{1B}[2J" + drawn.output)
                state.cursorRow = drawn.cursorRow
            case .submitted(let line):
                // Show the whole line as it was run, then leave the cursor on a fresh line for the output.
                let drawn = renderer.draw(prompt: prompt, text: Array(line), cursor: line.count)
                output(
                    InputLineRenderer.erase(cursorRow: state.cursorRow) + drawn.output
                        + renderer.leave(prompt: prompt, text: Array(line), cursorRow: drawn.cursorRow))
                state.reading = false
                state.submitted?(line)
            case .endOfInput:
                output("\r\n")
                state.reading = false
                state.submitted?(nil)
            case .interrupted:
                // The abandoned line stays on the screen marked ^C; a fresh prompt below it.
                let abandoned = before.text + ["^", "C"]
                let old = renderer.draw(prompt: prompt, text: abandoned, cursor: abandoned.count)
                let hint = before.text.isEmpty ? "(type quit or press Ctrl-D to leave)\n" : ""
                let drawn = renderer.draw(prompt: prompt, text: [], cursor: 0)
                output(
                    InputLineRenderer.erase(cursorRow: state.cursorRow) + old.output
                        + renderer.leave(prompt: prompt, text: abandoned, cursorRow: old.cursorRow) + hint
                        + drawn.output)
                state.cursorRow = drawn.cursorRow
            }
        }
        guard let interrupt = keys.lastIndex(of: .interrupt) else {
            state.pendingKeys += keys
            return nil
        }
        state.pendingKeys = Array(keys[(interrupt + 1)...])
        return state.interrupt
    }
}
