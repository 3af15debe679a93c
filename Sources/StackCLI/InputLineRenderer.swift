/// Escape sequences that draw and erase a prompt plus input line that may wrap over several terminal rows.
///
/// Every character is taken as one column wide. After writing exactly a multiple of the width, terminals keep the
/// cursor on the last column ("pending wrap"); drawing then adds `\r\n`, so the cursor row is always
/// `columns / width` and erasing can move up by that many rows.
struct InputLineRenderer: Sendable, Equatable {
    /// Terminal columns.
    var width: Int

    /// What a draw left on the screen.
    struct Drawn: Sendable, Equatable {
        /// The bytes to write.
        var output: String
        /// Rows between the prompt's first row and the cursor.
        var cursorRow: Int
    }

    /// Creates a renderer for a terminal `width` columns wide.
    init(width: Int) {
        self.width = max(width, 1)
    }

    /// Clears from the prompt's first row to the end of the screen, leaving the cursor at its start.
    static func erase(cursorRow: Int) -> String {
        "\r" + (cursorRow > 0 ? "\u{1B}[\(cursorRow)A" : "") + "\u{1B}[J"
    }

    /// Writes `prompt` and `text` from the current (cleared) row, then puts the cursor before `text[cursor]`.
    func draw(prompt: String, text: [Character], cursor: Int) -> Drawn {
        var output = prompt + String(text)
        let end = prompt.count + text.count
        if end > 0, end % width == 0 { output += "\r\n" }
        let endRow = end / width
        let position = prompt.count + min(cursor, text.count)
        let row = position / width
        let column = position % width
        if row != endRow || column != end % width {
            if endRow > row { output += "\u{1B}[\(endRow - row)A" }
            output += "\r"
            if column > 0 { output += "\u{1B}[\(column)C" }
        }
        return Drawn(output: output, cursorRow: row)
    }

    /// Moves from the cursor (at `cursorRow`) to a fresh line below the whole input.
    func leave(prompt: String, text: [Character], cursorRow: Int) -> String {
        let end = prompt.count + text.count
        let endRow = end / width
        var output = endRow > cursorRow ? "\u{1B}[\(endRow - cursorRow)B" : ""
        // Drawing already moved to a fresh row when the input filled its last row exactly.
        output += end > 0 && end % width == 0 ? "\r" : "\r\n"
        return output
    }
}
