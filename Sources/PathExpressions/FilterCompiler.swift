import JSONCore

/// Compiles the text of a filter, `[?( ... )]`, after Jayway's `FilterCompiler`.
struct FilterCompiler {
    private var filter: CharacterCursor

    static func compile(_ text: String) throws(JSONPathError) -> FilterExpression {
        var cursor = CharacterCursor(text)
        cursor.trim()
        guard cursor.currentIs("["), cursor.char(at: cursor.end - 1) == "]" else {
            throw .invalid("Filter must start with '[' and end with ']'. \(text)")
        }
        cursor.position += 1
        cursor.end -= 1
        cursor.trim()
        guard cursor.currentIs("?") else { throw .invalid("Filter must start with '[?' and end with ']'. \(text)") }
        cursor.position += 1
        cursor.trim()
        guard cursor.currentIs("("), cursor.char(at: cursor.end - 1) == ")" else {
            throw .invalid("Filter must start with '[?(' and end with ')]'. \(text)")
        }
        var compiler = FilterCompiler(filter: cursor)
        let expression = try compiler.readLogicalOr()
        compiler.filter.skipBlanks()
        if compiler.filter.inBounds {
            throw .invalid("Expected end of filter expression instead of: \(compiler.filter.substring(compiler.filter.position, compiler.filter.end))")
        }
        return expression
    }

    private mutating func readLogicalOr() throws(JSONPathError) -> FilterExpression {
        var operands = [try readLogicalAnd()]
        while hasSignificant("||") {
            operands.append(try readLogicalAnd())
        }
        return operands.count == 1 ? operands[0] : .or(operands)
    }

    private mutating func readLogicalAnd() throws(JSONPathError) -> FilterExpression {
        var operands = [try readLogicalAndOperand()]
        while hasSignificant("&&") {
            operands.append(try readLogicalAndOperand())
        }
        return operands.count == 1 ? operands[0] : .and(operands)
    }

    /// Consumes `token` (after blanks) when it is next.
    private mutating func hasSignificant(_ token: String) -> Bool {
        let save = filter.position
        filter.skipBlanks()
        let scalars = Array(token.unicodeScalars)
        for (i, c) in scalars.enumerated() where filter.char(at: filter.position + i) != c {
            filter.position = save
            return false
        }
        filter.position += scalars.count
        return true
    }

    private mutating func readLogicalAndOperand() throws(JSONPathError) -> FilterExpression {
        filter.skipBlanks()
        let savepoint = filter.position
        if filter.currentIs("!") {
            filter.position += 1
            filter.skipBlanks()
            if filter.currentIs("$") || filter.currentIs("@") {
                filter.position = savepoint
            } else {
                return .not(try readLogicalAndOperand())
            }
        }
        filter.skipBlanks()
        if filter.currentIs("(") {
            filter.position += 1
            let inner = try readLogicalOr()
            try readSignificantChar(")")
            return inner
        }
        return try readExpression()
    }

    private mutating func readSignificantChar(_ c: Unicode.Scalar) throws(JSONPathError) {
        filter.skipBlanks()
        guard filter.currentIs(c) else { throw .invalid("Expected character: \(c)") }
        filter.position += 1
    }

    private mutating func readExpression() throws(JSONPathError) -> FilterExpression {
        let left = try readValue()
        let leftNegated = lastPathWasNegated
        let savepoint = filter.position
        do {
            let op = try readRelationalOperator()
            let right = try readValue()
            return .relation(left, op, right)
        } catch {
            filter.position = savepoint
        }
        guard case .path(let path, _) = left else { throw .invalid("Expected path node") }
        return .relation(.path(path, existenceCheck: true), .exists, .bool(!leftNegated))
    }

    private var lastPathWasNegated = false

    private mutating func readRelationalOperator() throws(JSONPathError) -> RelationalOperator {
        filter.skipBlanks()
        let begin = filter.position
        if Self.isOperatorChar(filter.current) {
            while filter.inBounds && Self.isOperatorChar(filter.current) { filter.position += 1 }
        } else {
            while filter.inBounds && filter.current != " " { filter.position += 1 }
        }
        return try RelationalOperator.parse(filter.substring(begin, filter.position))
    }

    private static func isOperatorChar(_ c: Unicode.Scalar) -> Bool {
        c == "<" || c == ">" || c == "=" || c == "~" || c == "!"
    }

    private mutating func readValue() throws(JSONPathError) -> FilterOperand {
        filter.skipBlanks()
        switch filter.current {
        case "$", "@":
            return try readPath(negated: false)
        case "!":
            filter.position += 1
            filter.skipBlanks()
            guard filter.currentIs("$") || filter.currentIs("@") else {
                throw .invalid("Unexpected character: !")
            }
            return try readPath(negated: true)
        default:
            return try readLiteral()
        }
    }

    private mutating func readPath(negated: Bool) throws(JSONPathError) -> FilterOperand {
        let begin = filter.position
        filter.position += 1
        while filter.inBounds {
            if filter.current == "[" {
                guard let close = filter.indexOfMatchingClose(filter.position, open: "[", close: "]") else {
                    throw .invalid("Square brackets does not match in filter \(filter.text)")
                }
                filter.position = close + 1
                if !filter.inBounds { break }
            }
            let c = filter.current
            let closesFunction = c == ")" && closesFunctionCall(begin: begin)
            if Self.isOperatorChar(c) || c == " " || (c == ")" && !closesFunction) { break }
            filter.position += 1
        }
        lastPathWasNegated = negated
        let text = filter.substring(begin, filter.position)
        return .path(try JSONPath(text), existenceCheck: false)
    }

    /// Whether the `)` at the cursor closes a function call opened inside the path that began
    /// at `begin` (as in `@.length()`), rather than a logical group.
    private func closesFunctionCall(begin: Int) -> Bool {
        var depth = 0
        for i in begin..<filter.position {
            if filter.chars[i] == "(" { depth += 1 }
            if filter.chars[i] == ")" { depth -= 1 }
        }
        return depth > 0
    }

    private mutating func readLiteral() throws(JSONPathError) -> FilterOperand {
        filter.skipBlanks()
        switch filter.current {
        case "'", "\"":
            let quote = filter.current
            guard let close = filter.nextIndexOfUnescaped(quote, after: filter.position) else {
                throw .invalid("String literal does not have matching quotes. Expected \(quote) in \(filter.text)")
            }
            let literal = filter.substring(filter.position + 1, close)
            filter.position = close + 1
            return .string(unescapeJava(literal))
        case "t", "f":
            let word = filter.current == "t" ? "true" : "false"
            let count = word.unicodeScalars.count
            guard filter.substring(filter.position, filter.position + count) == word else {
                throw .invalid("Expected boolean literal")
            }
            filter.position += count
            return .bool(word == "true")
        case "n":
            guard filter.substring(filter.position, filter.position + 4) == "null" else {
                throw .invalid("Expected <null> value")
            }
            filter.position += 4
            return .null
        case "[", "{":
            let open = filter.current
            let close: Unicode.Scalar = open == "[" ? "]" : "}"
            guard let end = filter.indexOfMatchingClose(filter.position, open: open, close: close) else {
                throw .invalid("String not closed. Expected \(close) in \(filter.text)")
            }
            let text = filter.substring(filter.position, end + 1)
            filter.position = end + 1
            guard let value = Self.parseLenientJSON(text) else {
                throw .invalid("Could not parse JSON literal \(text)")
            }
            return .json(value)
        case "/":
            guard let close = filter.nextIndexOfUnescaped("/", after: filter.position) else {
                throw .invalid("Pattern not closed. Expected / in \(filter.text)")
            }
            let source = filter.substring(filter.position + 1, close)
            var end = close + 1
            while filter.inBounds(end), filter.chars[end].properties.isAlphabetic { end += 1 }
            let flags = filter.substring(close + 1, end)
            filter.position = end
            return .pattern(FilterPattern(source: source, flags: flags))
        default:
            let begin = filter.position
            while filter.inBounds, Self.isNumberChar(filter.current) { filter.position += 1 }
            let text = filter.substring(begin, filter.position)
            guard let number = Self.parseDecimal(text) else {
                throw .invalid("Failed to parse filter: \(filter.text), error on position: \(begin), char: \(filter.char(at: begin))")
            }
            return .number(number)
        }
    }

    private static func isNumberChar(_ c: Unicode.Scalar) -> Bool {
        isASCIIDigit(c) || c == "-" || c == "." || c == "E" || c == "e"
    }

    /// Reads a number literal as Java's `BigDecimal` does (leading zeros allowed).
    static func parseDecimal(_ text: String) -> JSONValue? {
        guard !text.isEmpty else { return nil }
        if let i = Int64(text) { return .int(i) }
        var scalars = Substring(text)
        if scalars.first == "-" || scalars.first == "+" { scalars = scalars.dropFirst() }
        guard let first = scalars.first, first.isNumber || first == "." else { return nil }
        guard let d = Double(text), d.isFinite else { return nil }
        return .double(d)
    }

    /// Parses a JSON literal the way json-smart does in permissive mode: single-quoted strings
    /// are accepted as well as double-quoted ones.
    static func parseLenientJSON(_ text: String) -> JSONValue? {
        if let value = try? JSONValue(parsing: text) { return value }
        var converted = ""
        var inSingle = false
        var inDouble = false
        var escaped = false
        for c in text {
            if escaped {
                escaped = false
                if inSingle && c == "'" { converted.append("'"); continue }
                converted.append("\\")
                converted.append(c)
                continue
            }
            if (inSingle || inDouble) && c == "\\" { escaped = true; continue }
            if inSingle {
                if c == "'" { inSingle = false; converted.append("\"") } else if c == "\"" { converted.append("\\\"") } else { converted.append(c) }
            } else if inDouble {
                if c == "\"" { inDouble = false }
                converted.append(c)
            } else if c == "'" {
                inSingle = true
                converted.append("\"")
            } else {
                if c == "\"" { inDouble = true }
                converted.append(c)
            }
        }
        return try? JSONValue(parsing: converted)
    }
}
