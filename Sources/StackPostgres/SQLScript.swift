/// Splits a SQL script into statements, since PostgresNIO's extended protocol runs one statement per query.
///
/// Knows enough SQL lexing for migrations: single-quoted strings, quoted identifiers, dollar-quoted bodies,
/// `--` and `/* */` comments. Empty statements are dropped.
public enum SQLScript {
    /// The statements of `script`, without their terminating semicolons.
    public static func statements(_ script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        let characters = Array(script)
        var index = 0
        func flush() {
            let trimmed = current.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty && !isOnlyComments(trimmed) { statements.append(trimmed) }
            current = ""
        }
        while index < characters.count {
            let character = characters[index]
            let next = index + 1 < characters.count ? characters[index + 1] : nil
            switch character {
            case "'", "\"":
                let end = closing(character, in: characters, from: index + 1)
                current += String(characters[index..<end])
                index = end
                continue
            case "-" where next == "-":
                let end = characters[index...].firstIndex(of: "\n") ?? characters.count
                current += String(characters[index..<end])
                index = end
                continue
            case "/" where next == "*":
                var end = index + 2
                while end + 1 < characters.count && !(characters[end] == "*" && characters[end + 1] == "/") { end += 1 }
                end = min(end + 2, characters.count)
                current += String(characters[index..<end])
                index = end
                continue
            case "$":
                if let tagEnd = dollarTagEnd(characters, from: index) {
                    let tag = String(characters[index...tagEnd])
                    let bodyStart = tagEnd + 1
                    let rest = String(characters[bodyStart...])
                    let bodyLength = rest.range(of: tag).map { rest.distance(from: rest.startIndex, to: $0.upperBound) }
                    let end = bodyStart + (bodyLength ?? rest.count)
                    current += String(characters[index..<end])
                    index = end
                    continue
                }
            case ";":
                flush()
                index += 1
                continue
            default:
                break
            }
            current.append(character)
            index += 1
        }
        flush()
        return statements
    }

    private static func closing(_ quote: Character, in characters: [Character], from start: Int) -> Int {
        var index = start
        while index < characters.count {
            if characters[index] == quote {
                // A doubled quote is an escaped quote inside the literal.
                if index + 1 < characters.count && characters[index + 1] == quote {
                    index += 2
                    continue
                }
                return index + 1
            }
            index += 1
        }
        return characters.count
    }

    private static func dollarTagEnd(_ characters: [Character], from start: Int) -> Int? {
        var index = start + 1
        while index < characters.count {
            let character = characters[index]
            if character == "$" { return index }
            guard character.isLetter || character.isNumber || character == "_" else { return nil }
            index += 1
        }
        return nil
    }

    private static func isOnlyComments(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") }
    }
}

import Foundation
