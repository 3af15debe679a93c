/// Splits a sync-rules SQL query into tokens, tracking line and column.
struct SQLTokenizer {
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 0
    private var column = 0

    /// Multi-character operators, longest first.
    private static let symbols = ["->>", "->", "::", "||", "&&", "!=", "<>", "<=", ">=", "==", "=", "<", ">", "+",
        "-", "*", "/", "%", "(", ")", ",", ".", ";", "[", "]", "~", "^", "!", "|", "&", "@", "#", "?", ":"]

    init(_ sql: String) {
        scalars = Array(sql.unicodeScalars)
    }

    /// Tokenises the whole query; the last token is `.end`.
    static func tokenize(_ sql: String) throws(SQLSyntaxError) -> [SQLToken] {
        var tokenizer = SQLTokenizer(sql)
        var tokens: [SQLToken] = []
        while true {
            let token = try tokenizer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private var position: SQLPosition { SQLPosition(offset: index, line: line, column: column) }

    private func peek(_ ahead: Int = 0) -> Unicode.Scalar? {
        index + ahead < scalars.count ? scalars[index + ahead] : nil
    }

    private mutating func advance() {
        if scalars[index] == "\n" {
            line += 1
            column = 0
        } else {
            column += 1
        }
        index += 1
    }

    private func text(from start: SQLPosition) -> String {
        String(String.UnicodeScalarView(scalars[start.offset..<index]))
    }

    private mutating func skipTrivia() throws(SQLSyntaxError) {
        while let scalar = peek() {
            if scalar.properties.isWhitespace {
                advance()
            } else if scalar == "-", peek(1) == "-" {
                while let next = peek(), next != "\n" { advance() }
            } else if scalar == "/", peek(1) == "*" {
                let start = position
                advance()
                advance()
                while !(peek() == "*" && peek(1) == "/") {
                    guard peek() != nil else { throw SQLSyntaxError(message: "Unterminated comment", position: start) }
                    advance()
                }
                advance()
                advance()
            } else {
                return
            }
        }
    }

    private mutating func next() throws(SQLSyntaxError) -> SQLToken {
        try skipTrivia()
        let start = position
        guard let scalar = peek() else { return SQLToken(kind: .end, text: "", raw: "", position: start) }
        if scalar == "'" {
            let value = try quoted(terminator: "'", start: start, what: "string")
            return SQLToken(kind: .string, text: value, raw: text(from: start), position: start)
        }
        if scalar == "\"" {
            let value = try quoted(terminator: "\"", start: start, what: "identifier")
            return SQLToken(kind: .quotedIdentifier, text: value, raw: text(from: start), position: start)
        }
        if isDigit(scalar) || (scalar == "." && peek(1).map(isDigit) == true) {
            return number(start: start)
        }
        if isIdentifierStart(scalar) {
            while let next = peek(), isIdentifierPart(next) { advance() }
            let raw = text(from: start)
            return SQLToken(kind: .word, text: raw.lowercased(), raw: raw, position: start)
        }
        if scalar == "$", peek(1).map(isDigit) == true {
            advance()
            while let next = peek(), isDigit(next) { advance() }
            let raw = text(from: start)
            return SQLToken(kind: .placeholder, text: raw, raw: raw, position: start)
        }
        for symbol in Self.symbols where matches(symbol) {
            for _ in symbol.unicodeScalars { advance() }
            return SQLToken(kind: .symbol, text: symbol, raw: symbol, position: start)
        }
        throw SQLSyntaxError(message: "Unexpected character '\(scalar)'", position: start)
    }

    private func matches(_ symbol: String) -> Bool {
        for (offset, expected) in symbol.unicodeScalars.enumerated() where peek(offset) != expected {
            return false
        }
        return true
    }

    private mutating func quoted(terminator: Unicode.Scalar, start: SQLPosition, what: String) throws(SQLSyntaxError)
        -> String
    {
        advance()
        var value = String.UnicodeScalarView()
        while true {
            guard let scalar = peek() else {
                throw SQLSyntaxError(message: "Unterminated \(what)", position: start)
            }
            advance()
            if scalar == terminator {
                // A doubled terminator is an escaped terminator ('' or "").
                if peek() == terminator {
                    value.append(terminator)
                    advance()
                    continue
                }
                return String(value)
            }
            value.append(scalar)
        }
    }

    private mutating func number(start: SQLPosition) -> SQLToken {
        var isReal = false
        while let next = peek(), isDigit(next) { advance() }
        if peek() == ".", peek(1).map(isDigit) == true || !(peek(1).map(isIdentifierStart) ?? false) {
            isReal = true
            advance()
            while let next = peek(), isDigit(next) { advance() }
        }
        if let e = peek(), e == "e" || e == "E" {
            let sign = peek(1)
            let digitAt = (sign == "+" || sign == "-") ? 2 : 1
            if peek(digitAt).map(isDigit) == true {
                isReal = true
                for _ in 0..<digitAt { advance() }
                while let next = peek(), isDigit(next) { advance() }
            }
        }
        let raw = text(from: start)
        if !isReal, let value = Int64(raw) {
            return SQLToken(kind: .integer(value), text: raw, raw: raw, position: start)
        }
        let normalized = raw.hasPrefix(".") ? "0" + raw : (raw.hasSuffix(".") ? raw + "0" : raw)
        return SQLToken(kind: .real(Double(normalized) ?? 0), text: raw, raw: raw, position: start)
    }

    private func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value >= 48 && scalar.value <= 57
    }

    private func isIdentifierStart(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || scalar.properties.isAlphabetic
    }

    private func isIdentifierPart(_ scalar: Unicode.Scalar) -> Bool {
        isIdentifierStart(scalar) || isDigit(scalar) || scalar == "$"
    }
}
