/// Splits a JSONata expression into tokens, one at a time, as the parser asks for them.
struct Lexer {
    enum TokenType: Equatable {
        case `operator`, string, number, value, name, variable, regex, end
    }

    struct Token {
        var type: TokenType
        var text: String = ""
        var number: Double = 0
        var literal: Value?
        var regex: RegexPattern?
        var position: Int
    }

    /// Operators and their binding powers; `!` and `~` only end names.
    static let operators: [String: Int] = [
        ".": 75, "[": 80, "]": 0, "{": 70, "}": 0, "(": 80, ")": 0, ",": 0, "@": 80, "#": 80, ";": 80, ":": 80,
        "?": 20, "+": 50, "-": 50, "*": 60, "/": 60, "%": 60, "|": 20, "=": 40, "<": 40, ">": 40, "^": 40,
        "**": 60, "..": 20, ":=": 10, "!=": 40, "<=": 40, ">=": 40, "~>": 40, "and": 30, "or": 25, "in": 40,
        "&": 50, "!": 0, "~": 0,
    ]

    private static let singleOperators: Set<Unicode.Scalar> = [
        ".", "[", "]", "{", "}", "(", ")", ",", "@", "#", ";", ":", "?", "+", "-", "*", "/", "%", "|", "=", "<", ">",
        "^", "&", "!", "~",
    ]
    private static let whitespace: Set<Unicode.Scalar> = [" ", "\t", "\n", "\r", "\u{0B}"]

    let source: [Unicode.Scalar]
    var position = 0

    init(_ text: String) {
        source = Array(text.unicodeScalars)
    }

    private func at(_ i: Int) -> Unicode.Scalar? { i < source.count ? source[i] : nil }

    private func text(_ range: Range<Int>) -> String {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: source[range])
        return String(s)
    }

    /// The next token; `expectOperand` is whether a `/` starts a regular expression here.
    mutating func next(expectOperand: Bool) throws(JSONataError) -> Token {
        while let c = at(position), Self.whitespace.contains(c) { position += 1 }
        guard let c = at(position) else { return Token(type: .end, position: position) }
        // Comments.
        if c == "/", at(position + 1) == "*" {
            let start = position
            position += 2
            while !(at(position) == "*" && at(position + 1) == "/") {
                position += 1
                if position >= source.count { throw JSONataError("S0106", position: start) }
            }
            position += 2
            return try next(expectOperand: expectOperand)
        }
        if expectOperand, c == "/" {
            position += 1
            return try scanRegex()
        }
        let start = position
        if let d = at(position + 1) {
            let pair: String? =
                switch (c, d) {
                case (".", "."): ".."
                case (":", "="): ":="
                case ("!", "="): "!="
                case (">", "="): ">="
                case ("<", "="): "<="
                case ("*", "*"): "**"
                case ("~", ">"): "~>"
                default: nil
                }
            if let pair {
                position += 2
                return Token(type: .operator, text: pair, position: start)
            }
        }
        if Self.singleOperators.contains(c) {
            position += 1
            return Token(type: .operator, text: String(Character(c)), position: start)
        }
        if c == "\"" || c == "'" { return try scanString(quote: c) }
        if let number = try scanNumber() { return number }
        if c == "`" {
            position += 1
            guard let end = source[position...].firstIndex(of: "`") else {
                position = source.count
                throw JSONataError("S0105", position: position)
            }
            let name = text(position..<end)
            position = end + 1
            return Token(type: .name, text: name, position: start)
        }
        var i = position
        while let ch = at(i), !Self.whitespace.contains(ch), !Self.singleOperators.contains(ch) { i += 1 }
        if c == "$" {
            let name = text(position + 1..<i)
            position = i
            return Token(type: .variable, text: name, position: start)
        }
        let name = text(position..<i)
        position = i
        switch name {
        case "or", "in", "and": return Token(type: .operator, text: name, position: start)
        case "true": return Token(type: .value, literal: .bool(true), position: start)
        case "false": return Token(type: .value, literal: .bool(false), position: start)
        case "null": return Token(type: .value, literal: .null, position: start)
        default:
            if name.isEmpty { return Token(type: .end, position: position) }
            return Token(type: .name, text: name, position: start)
        }
    }

    private mutating func scanString(quote: Unicode.Scalar) throws(JSONataError) -> Token {
        let start = position
        position += 1
        var out = String.UnicodeScalarView()
        while let c = at(position) {
            if c == "\\" {
                position += 1
                guard let e = at(position) else { break }
                switch e {
                case "\"": out.append("\"")
                case "\\": out.append("\\")
                case "/": out.append("/")
                case "b": out.append("\u{08}")
                case "f": out.append("\u{0C}")
                case "n": out.append("\n")
                case "r": out.append("\r")
                case "t": out.append("\t")
                case "u":
                    guard position + 4 < source.count,
                        let code = UInt32(text(position + 1..<position + 5), radix: 16),
                        source[position + 1..<position + 5].allSatisfy({ $0.properties.isASCIIHexDigit })
                    else { throw JSONataError("S0104", position: position) }
                    position += 4
                    if (0xD800..<0xDC00).contains(code), at(position + 1) == "\\", at(position + 2) == "u",
                        position + 6 < source.count,
                        let low = UInt32(text(position + 3..<position + 7), radix: 16), (0xDC00..<0xE000).contains(low)
                    {
                        // A surrogate pair written as two escapes is one character.
                        out.append(Unicode.Scalar(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))!)
                        position += 6
                    } else {
                        out.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                    }
                default:
                    throw JSONataError("S0103", position: position, token: String(Character(e)))
                }
            } else if c == quote {
                position += 1
                return Token(type: .string, literal: .string(String(out)), position: start)
            } else {
                out.append(c)
            }
            position += 1
        }
        throw JSONataError("S0101", position: position)
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([Ee][-+]?[0-9]+)?`, as JSONata reads numbers.
    private mutating func scanNumber() throws(JSONataError) -> Token? {
        var i = position
        func isDigit(_ c: Unicode.Scalar?) -> Bool { c.map { $0 >= "0" && $0 <= "9" } ?? false }
        if at(i) == "-" { i += 1 }
        guard isDigit(at(i)) else { return nil }
        if at(i) == "0" {
            i += 1
        } else {
            while isDigit(at(i)) { i += 1 }
        }
        if at(i) == ".", isDigit(at(i + 1)) {
            i += 1
            while isDigit(at(i)) { i += 1 }
        }
        if at(i) == "e" || at(i) == "E" {
            var j = i + 1
            if at(j) == "+" || at(j) == "-" { j += 1 }
            if isDigit(at(j)) {
                while isDigit(at(j)) { j += 1 }
                i = j
            }
        }
        let literal = text(position..<i)
        guard let number = Double(literal), number.isFinite else {
            throw JSONataError("S0102", position: position, token: literal)
        }
        let start = position
        position = i
        return Token(type: .number, number: number, literal: .number(number), position: start)
    }

    /// A regular expression literal: up to the closing `/` outside brackets, then `i`/`m` flags.
    private mutating func scanRegex() throws(JSONataError) -> Token {
        let start = position
        var depth = 0
        func isClosingSlash(_ p: Int) -> Bool {
            guard source[p] == "/", depth == 0 else { return false }
            var backslashes = 0
            while p - backslashes - 1 >= 0, source[p - backslashes - 1] == "\\" { backslashes += 1 }
            return backslashes % 2 == 0
        }
        while position < source.count {
            let c = source[position]
            if isClosingSlash(position) {
                let pattern = text(start..<position)
                if pattern.isEmpty { throw JSONataError("S0301", position: position) }
                position += 1
                let flagsStart = position
                while let f = at(position), f == "i" || f == "m" { position += 1 }
                let flags = text(flagsStart..<position)
                let regex = try RegexPattern(pattern, flags: flags, position: start)
                return Token(type: .regex, regex: regex, position: start - 1)
            }
            let escaped = position > 0 && source[position - 1] == "\\"
            if (c == "(" || c == "[" || c == "{") && !escaped { depth += 1 }
            if (c == ")" || c == "]" || c == "}") && !escaped { depth -= 1 }
            position += 1
        }
        throw JSONataError("S0302", position: position)
    }
}
