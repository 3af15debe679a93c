/// The shell's input line as a pure value: text, cursor and history, changed by keys.
struct LineEditor: Sendable, Equatable {
    /// What a key did to the line.
    enum Outcome: Sendable, Equatable {
        /// The text or cursor may have changed: redraw.
        case edited
        /// Enter: the finished line (the editor is empty again).
        case submitted(String)
        /// ^D on an empty line.
        case endOfInput
        /// ^L: clear the screen, then redraw.
        case clearScreen
        /// ^C: the line was abandoned (the editor is empty again).
        case interrupted
    }

    /// The characters typed so far.
    private(set) var text: [Character] = []
    /// Cursor position, 0…text.count.
    private(set) var cursor = 0
    /// Submitted lines, oldest first.
    private(set) var history: [String] = []
    /// How many lines the history keeps.
    let historyLimit: Int
    // While browsing history: the entry shown, and the line being typed before browsing started.
    private var historyIndex: Int?
    private var draft: [Character] = []

    /// Creates an empty editor.
    init(historyLimit: Int = 500) {
        self.historyLimit = historyLimit
    }

    /// The line as a string.
    var line: String { String(text) }

    /// Applies one key.
    mutating func handle(_ key: TerminalKey) -> Outcome {
        switch key {
        case .character(let character):
            text.insert(character, at: cursor)
            cursor += 1
        case .enter:
            let submitted = line
            if !submitted.allSatisfy(\.isWhitespace), history.last != submitted {
                history.append(submitted)
                if history.count > historyLimit { history.removeFirst(history.count - historyLimit) }
            }
            text = []
            cursor = 0
            historyIndex = nil
            return .submitted(submitted)
        case .backspace:
            if cursor > 0 {
                cursor -= 1
                text.remove(at: cursor)
            }
        case .delete:
            if cursor < text.count { text.remove(at: cursor) }
        case .endOfInput:
            if text.isEmpty { return .endOfInput }
            if cursor < text.count { text.remove(at: cursor) }
        case .left:
            cursor = max(0, cursor - 1)
        case .right:
            cursor = min(text.count, cursor + 1)
        case .wordLeft:
            cursor = wordStart(before: cursor)
        case .wordRight:
            while cursor < text.count, text[cursor].isWhitespace { cursor += 1 }
            while cursor < text.count, !text[cursor].isWhitespace { cursor += 1 }
        case .home:
            cursor = 0
        case .end:
            cursor = text.count
        case .killToEnd:
            text.removeSubrange(cursor...)
        case .killToStart:
            text.removeSubrange(..<cursor)
            cursor = 0
        case .killWord:
            let start = wordStart(before: cursor)
            text.removeSubrange(start..<cursor)
            cursor = start
        case .up:
            browse(by: -1)
        case .down:
            browse(by: 1)
        case .clearScreen:
            return .clearScreen
        case .interrupt:
            text = []
            cursor = 0
            historyIndex = nil
            return .interrupted
        }
        return .edited
    }

    // Where the word before `position` starts (skipping spaces first, as readline's ^W does).
    private func wordStart(before position: Int) -> Int {
        var start = position
        while start > 0, text[start - 1].isWhitespace { start -= 1 }
        while start > 0, !text[start - 1].isWhitespace { start -= 1 }
        return start
    }

    // Up/down through history; going past the newest entry brings back the draft.
    private mutating func browse(by step: Int) {
        guard !history.isEmpty else { return }
        let current = historyIndex ?? history.count
        let next = min(max(current + step, 0), history.count)
        guard next != current else { return }
        if historyIndex == nil { draft = text }
        historyIndex = next == history.count ? nil : next
        text = historyIndex.map { Array(history[$0]) } ?? draft
        cursor = text.count
    }
}
