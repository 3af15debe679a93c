import ArgumentParser
import Testing

@testable import StackCLI

@Suite struct HelpTextTests {
    @Test func paragraphsJoinListsAndBlankLinesStay() {
        let text = """
            Starts the stack and
            prints a summary.

            Exit status: 0 when
            ready.
            - first item
              indented example
            --flag does a thing
            over two lines.
            """
        #expect(
            HelpText.reflow(text) == """
                Starts the stack and prints a summary.

                Exit status: 0 when ready.
                - first item
                  indented example
                --flag does a thing over two lines.
                """)
    }

    @Test func noCommandHelpKeepsSourceLineBreaks() {
        // A discussion written over source lines must not keep them: no line of 40+ characters ends a sentence
        // fragment that the next line continues in lower case (the ragged look ArgumentParser would print).
        var pending: [any ParsableCommand.Type] = [StackCommand.self]
        var checked = 0
        while let command = pending.popLast() {
            pending += command.configuration.subcommands
            checked += 1
            let lines = command.configuration.discussion.split(separator: "\n", omittingEmptySubsequences: false)
            for (line, next) in zip(lines, lines.dropFirst()) where line.count > 40 {
                if let first = next.first, first.isLowercase {
                    Issue.record("\(command._commandName): '\(line)' / '\(next)'")
                }
            }
        }
        #expect(checked > 20)
    }
}
