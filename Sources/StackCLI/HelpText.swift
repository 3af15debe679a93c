/// Help text written as wrapped source lines, reflowed so ArgumentParser can wrap it to the terminal: it keeps every
/// newline, so source line breaks would otherwise show up as ragged lines.
enum HelpText {
    /// Joins the lines of each paragraph with spaces. A blank line separates paragraphs; a line starting with `-`,
    /// `*` or whitespace (a list item, an option, an example) starts a new line of its own.
    static func reflow(_ text: String) -> String {
        var lines: [String] = []
        var joinable = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.allSatisfy(\.isWhitespace) {
                lines.append("")
                joinable = false
            } else if let first = line.first, first == "-" || first == "*" || first.isWhitespace || !joinable {
                lines.append(String(line))
                joinable = true
            } else {
                lines[lines.count - 1] += " " + line
            }
        }
        return lines.joined(separator: "\n")
    }
}
