import Synchronization
import Testing

@testable import StackCLI

@Suite("client shell line editing: keys, editor, rendering, screen")
struct ShellLineEditingTests {
    static let escape = "\u{1B}"

    @Test("bytes become keys across reads: arrows, delete, UTF-8, control keys; unknown sequences are dropped")
    func keyDecoding() {
        var decoder = TerminalKeyDecoder()
        #expect(decoder.push(Array("ab".utf8)) == [.character("a"), .character("b")])
        #expect(decoder.push([0x1B]).isEmpty)
        #expect(decoder.push(Array("[".utf8)).isEmpty)
        #expect(decoder.push(Array("D".utf8)) == [.left])
        let accented = Array("é".utf8)
        #expect(decoder.push(accented[..<1]).isEmpty)
        #expect(decoder.push(accented[1...]) == [.character("é")])
        #expect(
            decoder.push(Array("\(Self.escape)[3~\(Self.escape)[1;5C\(Self.escape)OH\(Self.escape)[4~".utf8))
                == [.delete, .wordRight, .home, .end])
        #expect(decoder.push(Array("\(Self.escape)[200~x".utf8)) == [.character("x")])
        #expect(
            decoder.push([0x01, 0x05, 0x0B, 0x15, 0x17, 0x04, 0x7F, 0x0D, 0x07])
                == [.home, .end, .killToEnd, .killToStart, .killWord, .endOfInput, .backspace, .enter])
        #expect(
            decoder.push([0xE2, 0x41]) == [.character("A")], "a broken UTF-8 sequence is dropped, not its successor")
    }

    @Test("the editor inserts at the cursor, deletes, kills words and lines, submits and resets")
    func editing() {
        var editor = LineEditor()
        for character in "ls docs" { _ = editor.handle(.character(character)) }
        _ = editor.handle(.left)
        _ = editor.handle(.left)
        _ = editor.handle(.character("X"))
        #expect(editor.line == "ls doXcs" && editor.cursor == 6)
        _ = editor.handle(.backspace)
        _ = editor.handle(.delete)
        #expect(editor.line == "ls dos" && editor.cursor == 5)
        _ = editor.handle(.killWord)
        #expect(editor.line == "ls s" && editor.cursor == 3)
        _ = editor.handle(.killToEnd)
        _ = editor.handle(.home)
        _ = editor.handle(.wordRight)
        #expect(editor.line == "ls " && editor.cursor == 2)
        _ = editor.handle(.killToStart)
        #expect(editor.line == " " && editor.cursor == 0)
        #expect(editor.handle(.endOfInput) == .edited, "^D deletes under the cursor when the line is not empty")
        #expect(editor.line.isEmpty)
        #expect(editor.handle(.endOfInput) == .endOfInput)
        for character in "whoami" { _ = editor.handle(.character(character)) }
        #expect(editor.handle(.enter) == .submitted("whoami"))
        #expect(editor.line.isEmpty && editor.cursor == 0)
    }

    @Test("up and down walk the history and bring the draft back; blanks and repeats are not kept")
    func history() {
        var editor = LineEditor(historyLimit: 2)
        for line in ["one", "two", "two", "   ", "three"] {
            for character in line { _ = editor.handle(.character(character)) }
            _ = editor.handle(.enter)
        }
        #expect(editor.history == ["two", "three"])
        for character in "dra" { _ = editor.handle(.character(character)) }
        _ = editor.handle(.up)
        #expect(editor.line == "three" && editor.cursor == 5)
        _ = editor.handle(.up)
        _ = editor.handle(.up)
        #expect(editor.line == "two")
        _ = editor.handle(.down)
        _ = editor.handle(.down)
        #expect(editor.line == "dra" && editor.cursor == 3)
    }

    @Test("rendering puts the cursor back on wrapped rows and steps past a row filled exactly")
    func rendering() {
        let renderer = InputLineRenderer(width: 10)
        let wrapped = renderer.draw(prompt: "b> ", text: Array("abcdefghijklmnop"), cursor: 5)
        #expect(wrapped == .init(output: "b> abcdefghijklmnop\(Self.escape)[1A\r\(Self.escape)[8C", cursorRow: 0))
        let filled = renderer.draw(prompt: "b> ", text: Array("abcdefg"), cursor: 7)
        #expect(filled == .init(output: "b> abcdefg\r\n", cursorRow: 1))
        #expect(InputLineRenderer.erase(cursorRow: 1) == "\r\(Self.escape)[1A\(Self.escape)[J")
        #expect(renderer.leave(prompt: "b> ", text: Array("abcdefg"), cursorRow: 1) == "\r")
        #expect(renderer.leave(prompt: "b> ", text: Array("abcdefghijklmnop"), cursorRow: 0) == "\(Self.escape)[1B\r\n")
        #expect(renderer.draw(prompt: "b> ", text: Array("ab"), cursor: 2) == .init(output: "b> ab", cursorRow: 0))
    }

    @Test("a line printed while typing clears the input, prints, and redraws prompt, text and cursor")
    func printAboveHalfTypedInput() {
        let written = Mutex<[String]>([])
        let submitted = Mutex<[String?]>([])
        let screen = ShellScreen(prompt: "b> ", interactive: true, columns: { 80 }) { text in
            written.withLock { $0.append(text) }
        }
        screen.onSubmit { line in submitted.withLock { $0.append(line) } }
        screen.beginLine()
        screen.receive(Array("insert x\(Self.escape)[D\(Self.escape)[D".utf8))
        written.withLock { $0 = [] }
        screen.printAbove("documents 1 insert title=\"a\"")
        #expect(
            written.withLock { $0 }
                == ["\r\(Self.escape)[J" + "documents 1 insert title=\"a\"\n" + "b> insert x" + "\r\(Self.escape)[9C"])
        screen.receive(Array("y\r".utf8))
        #expect(submitted.withLock { $0 } == ["inserty x"])

        // Typed while the command runs: nothing drawn, nothing submitted until the next prompt.
        written.withLock { $0 = [] }
        screen.receive(Array("ls\r".utf8))
        screen.printAbove("while busy")
        #expect(written.withLock { $0 } == ["while busy\n"] && submitted.withLock { $0.count } == 1)
        screen.beginLine()
        #expect(submitted.withLock { $0 } == ["inserty x", "ls"])
        screen.beginLine()
        screen.receive([0x04])
        #expect(submitted.withLock { $0.last } == .some(nil), "^D on an empty line ends the input")
    }

    @Test("^C abandons the half-typed line (kept on screen as ^C) and shows a fresh prompt; the shell goes on")
    func controlCAbandonsTheLine() {
        var decoder = TerminalKeyDecoder()
        #expect(decoder.push([0x03]) == [.interrupt])
        let written = Mutex<[String]>([])
        let submitted = Mutex<[String?]>([])
        let interrupts = Mutex(0)
        let screen = ShellScreen(prompt: "b> ", interactive: true, columns: { 80 }) { text in
            written.withLock { $0.append(text) }
        }
        screen.onSubmit { line in submitted.withLock { $0.append(line) } }
        screen.onInterrupt { interrupts.withLock { $0 += 1 } }
        screen.beginLine()
        screen.receive(Array("insert x".utf8))
        written.withLock { $0 = [] }
        screen.receive([0x03])
        #expect(written.withLock { $0 } == ["\r\(Self.escape)[J" + "b> insert x^C" + "\r\n" + "b> "])
        #expect(interrupts.withLock { $0 } == 0, "at the prompt ^C is the editor's, not the command's")
        screen.receive(Array("ls\r".utf8))
        #expect(submitted.withLock { $0 } == ["ls"], "the abandoned text is gone, nothing was submitted")

        // On an empty line: how to leave instead.
        screen.beginLine()
        written.withLock { $0 = [] }
        screen.receive([0x03])
        #expect(written.withLock { $0.joined() }.contains("(type quit or press Ctrl-D to leave)"))
        #expect(submitted.withLock { $0 } == ["ls"])
    }

    @Test("^C while a command runs interrupts it and drops what was typed ahead before it")
    func controlCWhileACommandRuns() {
        let submitted = Mutex<[String?]>([])
        let interrupts = Mutex(0)
        let screen = ShellScreen(prompt: "b> ", interactive: true, columns: { 80 }) { _ in }
        screen.onSubmit { line in submitted.withLock { $0.append(line) } }
        screen.onInterrupt { interrupts.withLock { $0 += 1 } }
        screen.beginLine()
        screen.receive(Array("upload\r".utf8))  // the command runs: no prompt
        screen.receive(Array("ls\r".utf8) + [0x03] + Array("whoami\r".utf8))
        #expect(interrupts.withLock { $0 } == 1)
        screen.beginLine()
        #expect(submitted.withLock { $0 } == ["upload", "whoami"])
    }

    @Test("without a terminal: no prompt, no escape sequences, lines printed as they are")
    func notInteractive() {
        let written = Mutex<[String]>([])
        let screen = ShellScreen(prompt: "b> ", interactive: false, columns: { 80 }) { text in
            written.withLock { $0.append(text) }
        }
        screen.beginLine()
        screen.printAbove("documents 1 delete")
        screen.finish()
        #expect(written.withLock { $0 } == ["documents 1 delete\n"])
    }
}

@Suite struct ShellCommandLineTests {
    @Test func theShellsDeviceAndConfigAreAppended() throws {
        #expect(
            try ClientShell.arguments(["ls", "documents"], device: "a4", config: "/c.yaml", verbose: false)
                == ["ls", "documents", "--device", "a4", "--config", "/c.yaml"])
    }

    /// They were silently overridden by the shell's own (`insert … --device g1` wrote to the shell's device).
    @Test(arguments: [
        ["insert", "documents", "--device", "g1"], ["whoami", "--device=g1"], ["ls", "x", "--config", "y"],
    ])
    func deviceAndConfigOnALineAreRefused(_ words: [String]) {
        #expect(throws: ShellLineError.self) {
            try ClientShell.arguments(words, device: "a4", config: nil, verbose: false)
        }
    }

    @Test func queryTakesTheRestOfTheLineAsItsSQL() throws {
        #expect(
            try ClientShell.arguments(
                ["query", "select", "count(*)", "from", "documents", "--json"], device: "d", config: nil, verbose: true)
                == ["query", "select count(*) from documents", "--json", "--device", "d", "--verbose"])
        #expect(
            try ClientShell.arguments(["query", "select 1"], device: "d", config: nil, verbose: false)
                == ["query", "select 1", "--device", "d"])
    }
}
