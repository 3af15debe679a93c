/// Recursive-descent parser for one sync-rules `SELECT` statement (Postgres operator precedence).
struct SQLParser {
    private var tokens: [SQLToken]
    private var index = 0
    /// Nested expressions, unary operators and subqueries being parsed; bounded so input cannot exhaust the stack.
    private var depth = 0
    static let maximumDepth = 200

    /// Words that end an expression and cannot be a bare column alias.
    private static let reserved: Set<String> = ["from", "where", "group", "order", "limit", "offset", "having", "for",
        "join", "inner", "left", "right", "full", "cross", "on", "union", "and", "or", "not", "as", "is", "in",
        "like", "ilike", "between", "select", "distinct", "null", "true", "false", "case", "when", "then", "else",
        "end", "natural", "using", "except", "intersect", "window", "fetch", "skip", "outer", "lateral"]

    init(tokens: [SQLToken]) {
        self.tokens = tokens
    }

    /// Parses `sql` into a statement; syntax errors carry the query-relative position.
    static func parse(_ sql: String) throws(SQLSyntaxError) -> SQLSelectStatement {
        var parser = SQLParser(tokens: try SQLTokenizer.tokenize(sql))
        return try parser.parseStatement()
    }

    private var current: SQLToken { tokens[index] }

    private mutating func advance() -> SQLToken {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private mutating func accept(keyword: String) -> Bool {
        guard current.isKeyword(keyword) else { return false }
        _ = advance()
        return true
    }

    private mutating func accept(symbol: String) -> Bool {
        guard current.isSymbol(symbol) else { return false }
        _ = advance()
        return true
    }

    private func unexpected(_ expected: String) -> SQLSyntaxError {
        let seen = current.kind == .end ? "end of query" : "'\(current.raw)'"
        return SQLSyntaxError(message: "Syntax error: expected \(expected) but found \(seen)",
            position: current.position)
    }

    private mutating func expect(symbol: String) throws(SQLSyntaxError) {
        guard accept(symbol: symbol) else { throw unexpected("'\(symbol)'") }
    }

    // MARK: Statement

    private mutating func parseStatement() throws(SQLSyntaxError) -> SQLSelectStatement {
        let start = current.position
        guard accept(keyword: "select") else {
            if current.kind == .word {
                throw SQLSyntaxError(message: "Only SELECT statements are supported", position: start)
            }
            throw unexpected("SELECT")
        }
        var statement = SQLSelectStatement(columns: [], from: [], whereClause: nil, unsupported: [], position: start)
        if current.isKeyword("distinct") {
            statement.unsupported.append(("DISTINCT is not supported", current.position))
            _ = advance()
            if accept(keyword: "on") {
                try expect(symbol: "(")
                _ = try parseExpressionList()
                try expect(symbol: ")")
            }
        } else {
            _ = accept(keyword: "all")
        }
        if !isClauseStart(current) {
            statement.columns = try parseColumns()
        }
        if accept(keyword: "from") {
            try parseFrom(into: &statement)
        }
        if accept(keyword: "where") {
            statement.whereClause = try parseExpression()
        }
        try parseTrailingClauses(into: &statement)
        if accept(symbol: ";") {
            if current.kind != .end {
                throw SQLSyntaxError(message: "Only a single SELECT statement is supported", position: current.position)
            }
        }
        guard current.kind == .end else { throw unexpected("end of query") }
        return statement
    }

    private func isClauseStart(_ token: SQLToken) -> Bool {
        token.kind == .end || token.isSymbol(";")
            || ["from", "where", "group", "order", "limit", "offset", "having", "for"].contains { token.isKeyword($0) }
    }

    private mutating func parseTrailingClauses(into statement: inout SQLSelectStatement) throws(SQLSyntaxError) {
        while true {
            let position = current.position
            if accept(keyword: "group") {
                guard accept(keyword: "by") else { throw unexpected("BY") }
                statement.unsupported.append(("GROUP BY is not supported", position))
                _ = try parseExpressionList()
            } else if accept(keyword: "having") {
                statement.unsupported.append(("HAVING is not supported", position))
                _ = try parseExpression()
            } else if accept(keyword: "order") {
                guard accept(keyword: "by") else { throw unexpected("BY") }
                statement.unsupported.append(("ORDER BY is not supported", position))
                repeat {
                    _ = try parseExpression()
                    _ = accept(keyword: "asc") || accept(keyword: "desc")
                    if accept(keyword: "nulls") { _ = accept(keyword: "first") || accept(keyword: "last") }
                } while accept(symbol: ",")
            } else if accept(keyword: "limit") {
                statement.unsupported.append(("LIMIT is not supported", position))
                if !accept(keyword: "all") { _ = try parseExpression() }
            } else if accept(keyword: "offset") {
                // pgsql-ast-parser folds OFFSET into the limit clause, hence PowerSync's message.
                statement.unsupported.append(("LIMIT is not supported", position))
                _ = try parseExpression()
                _ = accept(keyword: "rows") || accept(keyword: "row")
            } else if accept(keyword: "for") {
                statement.unsupported.append(("SELECT FOR is not supported", position))
                while current.kind == .word || current.isSymbol(",") || current.kind == .quotedIdentifier {
                    _ = advance()
                }
            } else if current.isKeyword("union") || current.isKeyword("except") || current.isKeyword("intersect") {
                throw SQLSyntaxError(message: "Only a single SELECT statement is supported", position: position)
            } else {
                return
            }
        }
    }

    // MARK: SELECT list and FROM

    private mutating func parseColumns() throws(SQLSyntaxError) -> [SQLSelectColumn] {
        var columns: [SQLSelectColumn] = []
        repeat {
            let position = current.position
            if accept(symbol: "*") {
                columns.append(SQLSelectColumn(isStar: true, expression: SQLExpression(kind: .literal(.null),
                    position: position), alias: nil, aliasRaw: nil, aliasQuoted: false, position: position))
                continue
            }
            if current.kind == .word || current.kind == .quotedIdentifier, tokens[index + 1].isSymbol("."),
                tokens.count > index + 2, tokens[index + 2].isSymbol("*")
            {
                index += 3
                columns.append(SQLSelectColumn(isStar: true, expression: SQLExpression(kind: .literal(.null),
                    position: position), alias: nil, aliasRaw: nil, aliasQuoted: false, position: position))
                continue
            }
            let expression = try parseExpression()
            var column = SQLSelectColumn(isStar: false, expression: expression, alias: nil, aliasRaw: nil,
                aliasQuoted: false, position: position)
            if let alias = try parseAlias() {
                column.alias = alias.name
                column.aliasRaw = alias.raw
                column.aliasQuoted = alias.quoted
            }
            columns.append(column)
        } while accept(symbol: ",")
        return columns
    }

    private mutating func parseAlias() throws(SQLSyntaxError) -> (name: String, raw: String, quoted: Bool)? {
        if accept(keyword: "as") {
            let token = advance()
            switch token.kind {
            case .word: return (token.text, token.raw, false)
            case .quotedIdentifier: return (token.text, token.raw, true)
            default:
                index -= 1
                throw unexpected("an alias")
            }
        }
        if current.kind == .quotedIdentifier || (current.kind == .word && !Self.reserved.contains(current.text)) {
            let token = advance()
            return (token.text, token.raw, token.kind == .quotedIdentifier)
        }
        return nil
    }

    private mutating func parseFrom(into statement: inout SQLSelectStatement) throws(SQLSyntaxError) {
        repeat {
            statement.from.append(try parseFromItem())
            while isJoinStart(current) {
                // JOINs become extra FROM entries, which PowerSync rejects with "Must SELECT from a single table".
                while !current.isKeyword("join") { _ = advance() }
                _ = advance()
                statement.from.append(try parseFromItem())
                if accept(keyword: "on") {
                    _ = try parseExpression()
                } else if accept(keyword: "using") {
                    try expect(symbol: "(")
                    _ = try parseExpressionList()
                    try expect(symbol: ")")
                }
            }
        } while accept(symbol: ",")
    }

    private func isJoinStart(_ token: SQLToken) -> Bool {
        ["join", "inner", "left", "right", "full", "cross", "natural"].contains { token.isKeyword($0) }
    }

    private mutating func parseFromItem() throws(SQLSyntaxError) -> (source: SQLFromSource, position: SQLPosition) {
        let position = current.position
        if accept(symbol: "(") {
            var depth = 1
            while depth > 0, current.kind != .end {
                if current.isSymbol("(") { depth += 1 }
                if current.isSymbol(")") { depth -= 1 }
                _ = advance()
            }
            _ = try parseAlias()
            return (.subquery, position)
        }
        guard current.kind == .word || current.kind == .quotedIdentifier else { throw unexpected("a table name") }
        var parts = [advance()]
        while accept(symbol: ".") {
            guard current.kind == .word || current.kind == .quotedIdentifier else { throw unexpected("a name") }
            parts.append(advance())
        }
        if accept(symbol: "(") {
            let arguments = current.isSymbol(")") ? [] : try parseExpressionList()
            try expect(symbol: ")")
            let alias = try parseAlias()?.name
            return (.call(name: parts.last!.text, arguments: arguments, alias: alias), position)
        }
        guard parts.count <= 2 else {
            throw SQLSyntaxError(message: "Table references may have at most a schema and a name", position: position)
        }
        let nameToken = parts.last!
        let schema = parts.count == 2 ? parts[0].text : nil
        let alias = try parseAlias()?.name
        return (.table(schema: schema, name: nameToken.text, rawName: nameToken.raw,
            quoted: nameToken.kind == .quotedIdentifier, alias: alias), position)
    }

    // MARK: Expressions

    private mutating func parseExpressionList() throws(SQLSyntaxError) -> [SQLExpression] {
        var list = [try parseExpression()]
        while accept(symbol: ",") { list.append(try parseExpression()) }
        return list
    }

    mutating func parseExpression() throws(SQLSyntaxError) -> SQLExpression {
        try enter()
        defer { depth -= 1 }
        return try parseOr()
    }

    /// Counts one more level of nesting; refuses deeper input than any sync rule needs.
    private mutating func enter() throws(SQLSyntaxError) {
        guard depth < Self.maximumDepth else {
            throw SQLSyntaxError(
                message: "Expression is nested more than \(Self.maximumDepth) levels deep", position: current.position)
        }
        depth += 1
    }

    private mutating func parseOr() throws(SQLSyntaxError) -> SQLExpression {
        // Each operator of a chain deepens the (left-deep) tree by one level.
        let entry = depth
        defer { depth = entry }
        var left = try parseAnd()
        while current.isKeyword("or") {
            _ = advance()
            let right = try parseAnd()
            try enter()
            left = SQLExpression(kind: .binary(op: "OR", left: left, right: right), position: left.position)
        }
        return left
    }

    private mutating func parseAnd() throws(SQLSyntaxError) -> SQLExpression {
        // Each operator of a chain deepens the (left-deep) tree by one level.
        let entry = depth
        defer { depth = entry }
        var left = try parseNot()
        while current.isKeyword("and") {
            _ = advance()
            let right = try parseNot()
            try enter()
            left = SQLExpression(kind: .binary(op: "AND", left: left, right: right), position: left.position)
        }
        return left
    }

    private mutating func parseNot() throws(SQLSyntaxError) -> SQLExpression {
        if current.isKeyword("not") {
            let position = advance().position
            try enter()
            defer { depth -= 1 }
            let operand = try parseNot()
            return SQLExpression(kind: .unary(op: "NOT", operand: operand), position: position)
        }
        return try parseIs()
    }

    private mutating func parseIs() throws(SQLSyntaxError) -> SQLExpression {
        // Each operator of a chain deepens the (left-deep) tree by one level.
        let entry = depth
        defer { depth = entry }
        var left = try parseComparison()
        while true {
            if accept(keyword: "is") {
                let negated = accept(keyword: "not")
                if accept(keyword: "null") {
                    try enter()
                    left = SQLExpression(kind: .unary(op: negated ? "IS NOT NULL" : "IS NULL", operand: left),
                        position: left.position)
                } else {
                    let right = try parseComparison()
                    try enter()
                    left = SQLExpression(kind: .binary(op: negated ? "IS NOT" : "IS", left: left, right: right),
                        position: left.position)
                }
            } else if accept(keyword: "isnull") {
                try enter()
                left = SQLExpression(kind: .unary(op: "IS NULL", operand: left), position: left.position)
            } else if accept(keyword: "notnull") {
                try enter()
                left = SQLExpression(kind: .unary(op: "IS NOT NULL", operand: left), position: left.position)
            } else {
                return left
            }
        }
    }

    private static let comparisonOperators: Set<String> = ["=", "==", "!=", "<>", "<", ">", "<=", ">="]

    private mutating func parseComparison() throws(SQLSyntaxError) -> SQLExpression {
        // Each operator of a chain deepens the (left-deep) tree by one level.
        let entry = depth
        defer { depth = entry }
        var left = try parseInLike()
        while current.kind == .symbol, Self.comparisonOperators.contains(current.text) {
            var op = advance().text
            if op == "==" { op = "=" }
            if op == "<>" { op = "!=" }
            let right = try parseInLike()
            try enter()
            left = SQLExpression(kind: .binary(op: op, left: left, right: right), position: left.position)
        }
        return left
    }

    private mutating func parseInLike() throws(SQLSyntaxError) -> SQLExpression {
        // Each operator of a chain deepens the (left-deep) tree by one level.
        let entry = depth
        defer { depth = entry }
        var left = try parseOtherOperator()
        while true {
            let negated = current.isKeyword("not")
                && ["in", "like", "ilike", "between"].contains { tokens[index + 1].isKeyword($0) }
            if negated { _ = advance() }
            if accept(keyword: "in") {
                let right: SQLExpression
                if current.isSymbol("(") {
                    right = try parseParenthesizedInList()
                } else {
                    right = try parseOtherOperator()
                }
                try enter()
                left = SQLExpression(kind: .binary(op: negated ? "NOT IN" : "IN", left: left, right: right),
                    position: left.position)
            } else if current.isKeyword("like") || current.isKeyword("ilike") {
                let op = advance().text.uppercased()
                let right = try parseOtherOperator()
                try enter()
                left = SQLExpression(kind: .binary(op: negated ? "NOT \(op)" : op, left: left, right: right),
                    position: left.position)
            } else if accept(keyword: "between") {
                let low = try parseOtherOperator()
                guard accept(keyword: "and") else { throw unexpected("AND") }
                _ = try parseOtherOperator()
                try enter()
                left = SQLExpression(kind: .binary(op: negated ? "NOT BETWEEN" : "BETWEEN", left: left, right: low),
                    position: left.position)
            } else {
                return left
            }
        }
    }

    /// `x IN (a, b)` lists and `x IN (SELECT …)` are parsed but unsupported in edition 1.
    private mutating func parseParenthesizedInList() throws(SQLSyntaxError) -> SQLExpression {
        let position = advance().position
        if current.isKeyword("select") {
            var depth = 1
            while depth > 0, current.kind != .end {
                if current.isSymbol("(") { depth += 1 }
                if current.isSymbol(")") { depth -= 1 }
                _ = advance()
            }
            return SQLExpression(kind: .unsupported("select"), position: position)
        }
        _ = try parseExpressionList()
        try expect(symbol: ")")
        return SQLExpression(kind: .unsupported("list"), position: position)
    }

    private mutating func parseOtherOperator() throws(SQLSyntaxError) -> SQLExpression {
        // Each operator of a chain deepens the (left-deep) tree by one level.
        let entry = depth
        defer { depth = entry }
        var left = try parseAdditive()
        while current.kind == .symbol, ["||", "->", "->>", "&&"].contains(current.text) {
            let op = advance().text
            let right = try parseAdditive()
            if op == "->" || op == "->>" {
                var key: String?
                if case .literal(.text(let text)) = right.kind { key = text }
                try enter()
                left = SQLExpression(kind: .member(op: op, operand: left, key: key), position: left.position)
            } else {
                try enter()
                left = SQLExpression(kind: .binary(op: op, left: left, right: right), position: left.position)
            }
        }
        return left
    }

    private mutating func parseAdditive() throws(SQLSyntaxError) -> SQLExpression {
        // Each operator of a chain deepens the (left-deep) tree by one level.
        let entry = depth
        defer { depth = entry }
        var left = try parseMultiplicative()
        while current.isSymbol("+") || current.isSymbol("-") {
            let op = advance().text
            let right = try parseMultiplicative()
            try enter()
            left = SQLExpression(kind: .binary(op: op, left: left, right: right), position: left.position)
        }
        return left
    }

    private mutating func parseMultiplicative() throws(SQLSyntaxError) -> SQLExpression {
        // Each operator of a chain deepens the (left-deep) tree by one level.
        let entry = depth
        defer { depth = entry }
        var left = try parseUnary()
        while current.isSymbol("*") || current.isSymbol("/") || current.isSymbol("%") {
            let op = advance().text
            let right = try parseUnary()
            try enter()
            left = SQLExpression(kind: .binary(op: op, left: left, right: right), position: left.position)
        }
        return left
    }

    private mutating func parseUnary() throws(SQLSyntaxError) -> SQLExpression {
        if current.isSymbol("-") || current.isSymbol("+") {
            let token = advance()
            try enter()
            defer { depth -= 1 }
            let operand = try parseUnary()
            // Fold signs into numeric literals so `-1` is a literal, as the Postgres parser does.
            if token.text == "-", case .literal(.integer(let value)) = operand.kind {
                return SQLExpression(kind: .literal(.integer(0 &- value)), position: token.position)
            }
            if token.text == "-", case .literal(.real(let value)) = operand.kind {
                return SQLExpression(kind: .literal(.real(-value)), position: token.position)
            }
            return SQLExpression(kind: .unary(op: token.text, operand: operand), position: token.position)
        }
        return try parsePostfix()
    }

    private mutating func parsePostfix() throws(SQLSyntaxError) -> SQLExpression {
        var expression = try parsePrimary()
        let entry = depth
        defer { depth = entry }
        while accept(symbol: "::") {
            let type = try parseTypeName()
            try enter()
            expression = SQLExpression(kind: .cast(operand: expression, type: type), position: expression.position)
        }
        return expression
    }

    private mutating func parseTypeName() throws(SQLSyntaxError) -> String {
        guard current.kind == .word || current.kind == .quotedIdentifier else { throw unexpected("a type name") }
        var name = advance().text
        // Multi-word types such as "double precision" are accepted here and rejected by CAST validation.
        while current.kind == .word, ["precision", "varying"].contains(current.text) { name += " " + advance().text }
        if accept(symbol: "(") {
            while !current.isSymbol(")"), current.kind != .end { _ = advance() }
            try expect(symbol: ")")
        }
        return name
    }

    private mutating func parsePrimary() throws(SQLSyntaxError) -> SQLExpression {
        let token = current
        let position = token.position
        switch token.kind {
        case .integer(let value):
            _ = advance()
            return SQLExpression(kind: .literal(.integer(value)), position: position)
        case .real(let value):
            _ = advance()
            return SQLExpression(kind: .literal(.real(value)), position: position)
        case .string:
            _ = advance()
            return SQLExpression(kind: .literal(.text(token.text)), position: position)
        case .placeholder:
            _ = advance()
            return SQLExpression(kind: .unsupported("parameter"), position: position)
        case .symbol:
            if accept(symbol: "(") {
                if current.isKeyword("select") {
                    var depth = 1
                    while depth > 0, current.kind != .end {
                        if current.isSymbol("(") { depth += 1 }
                        if current.isSymbol(")") { depth -= 1 }
                        _ = advance()
                    }
                    return SQLExpression(kind: .unsupported("select"), position: position)
                }
                let inner = try parseExpression()
                if current.isSymbol(",") {
                    _ = advance()
                    _ = try parseExpressionList()
                    try expect(symbol: ")")
                    return SQLExpression(kind: .unsupported("list"), position: position)
                }
                try expect(symbol: ")")
                return inner
            }
            throw unexpected("an expression")
        case .end:
            throw unexpected("an expression")
        case .word, .quotedIdentifier:
            return try parseNameOrCall()
        }
    }

    private mutating func parseNameOrCall() throws(SQLSyntaxError) -> SQLExpression {
        let token = current
        let position = token.position
        if token.kind == .word {
            switch token.text {
            case "null":
                _ = advance()
                return SQLExpression(kind: .literal(.null), position: position)
            case "true", "false":
                _ = advance()
                return SQLExpression(kind: .literal(.bool(token.text == "true")), position: position)
            case "cast" where tokens[index + 1].isSymbol("("):
                _ = advance()
                _ = advance()
                let operand = try parseExpression()
                guard accept(keyword: "as") else { throw unexpected("AS") }
                let type = try parseTypeName()
                try expect(symbol: ")")
                return SQLExpression(kind: .cast(operand: operand, type: type), position: position)
            case "case":
                var depth = 0
                while current.kind != .end {
                    if current.isKeyword("case") { depth += 1 }
                    if current.isKeyword("end") {
                        depth -= 1
                        if depth == 0 {
                            _ = advance()
                            break
                        }
                    }
                    _ = advance()
                }
                return SQLExpression(kind: .unsupported("case"), position: position)
            case "exists":
                _ = advance()
                if current.isSymbol("(") { _ = try parsePrimary() }
                return SQLExpression(kind: .unsupported("select"), position: position)
            default:
                if Self.reserved.contains(token.text) { throw unexpected("an expression") }
            }
        }
        var parts = [advance()]
        while current.isSymbol("."), tokens[index + 1].kind == .word || tokens[index + 1].kind == .quotedIdentifier {
            _ = advance()
            parts.append(advance())
        }
        if accept(symbol: "(") {
            var arguments: [SQLExpression] = []
            var star = false
            if accept(symbol: "*") {
                star = true
            } else if !current.isSymbol(")") {
                _ = accept(keyword: "distinct")
                arguments = try parseExpressionList()
            }
            try expect(symbol: ")")
            let schema = parts.count > 1 ? parts[parts.count - 2].text : nil
            return SQLExpression(kind: .call(schema: schema, name: parts.last!.text, arguments: arguments, star: star),
                position: position)
        }
        let name = parts.last!
        let table = parts.count > 1 ? parts[parts.count - 2].text : nil
        let schema = parts.count > 2 ? parts[parts.count - 3].text : nil
        return SQLExpression(kind: .column(schema: schema, table: table, name: name.text, rawName: name.raw,
            quoted: name.kind == .quotedIdentifier), position: parts.count > 1 ? parts[0].position : position)
    }
}
