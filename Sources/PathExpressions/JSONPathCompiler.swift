import JSONCore

/// Compiles JSONPath text into tokens the way Jayway JsonPath 2.x does, quirks included: a path
/// without `$`/`@` gets `$.` put before it, a slice's step is ignored, a name after a dot runs to
/// the next `.` or `[`, and a single character left after a complete token is ignored.
struct JSONPathCompiler {
    private var path: CharacterCursor
    private var tokens: [PathToken] = []

    static func compile(_ text: String) throws(JSONPathError) -> (rootIsCurrent: Bool, tokens: [PathToken]) {
        guard !text.isEmpty else { throw JSONPathError(.evaluationFailed, "path can not be null or empty") }
        var cursor = CharacterCursor(text)
        cursor.trim()
        if !(cursor.currentIs("$") || cursor.currentIs("@")) {
            cursor = CharacterCursor("$." + text)
            cursor.trim()
        }
        guard cursor.end > cursor.position else { throw .invalid("Path must not be empty") }
        if cursor.chars[cursor.end - 1] == "." {
            throw .invalid("Path must not end with a '.' or '..'")
        }
        var compiler = JSONPathCompiler(path: cursor)
        return try compiler.readContextToken()
    }

    private init(path: CharacterCursor) {
        self.path = path
    }

    private mutating func readContextToken() throws(JSONPathError) -> (rootIsCurrent: Bool, tokens: [PathToken]) {
        path.skipBlanks()
        guard path.currentIs("$") || path.currentIs("@") else {
            throw .invalid("Path must start with '$' or '@'")
        }
        let isCurrent = path.current == "@"
        if path.position == path.end - 1 { return (isCurrent, tokens) }
        path.position += 1
        guard path.currentIs(".") || path.currentIs("[") else {
            throw .invalid("Illegal character at position \(path.position) expected '.' or '['")
        }
        try readNextToken()
        return (isCurrent, tokens)
    }

    private mutating func readNextToken() throws(JSONPathError) {
        switch path.current {
        case "[":
            if try !readBracketPropertyToken(), try !readArrayToken(), try !readWildcardToken(), try !readFilterToken() {
                throw .invalid("Could not parse token starting at position \(path.position). Expected ?, ', 0-9, * ")
            }
        case ".":
            try readDotToken()
        case "*":
            if try !readWildcardToken() {
                throw .invalid("Could not parse token starting at position \(path.position)")
            }
        default:
            if try !readPropertyOrFunctionToken() {
                throw .invalid("Could not parse token starting at position \(path.position)")
            }
        }
    }

    private mutating func continueAfterToken() throws(JSONPathError) {
        if !path.currentIsTail { try readNextToken() }
    }

    private mutating func readDotToken() throws(JSONPathError) {
        if path.currentIs("."), path.char(at: path.position + 1) == "." {
            tokens.append(.scan)
            path.position += 2
        } else if !path.hasMoreCharacters {
            throw .invalid("Path must not end with a '.")
        } else {
            path.position += 1
        }
        if path.currentIs(".") {
            throw .invalid("Character '.' on position \(path.position) is not valid.")
        }
        try readNextToken()
    }

    private mutating func readPropertyOrFunctionToken() throws(JSONPathError) -> Bool {
        let c = path.current
        if c == "[" || c == "*" || c == "." || c == " " { return false }
        let start = path.position
        var read = start
        var endPosition: Int? = nil
        var isFunction = false
        while path.inBounds(read) {
            let c = path.chars[read]
            if c == " " {
                throw .invalid("Use bracket notion ['my prop'] if your property contains blank characters. position: \(path.position)")
            } else if c == "." || c == "[" {
                endPosition = read
                break
            } else if c == "(" {
                isFunction = true
                endPosition = read
                break
            }
            read += 1
        }
        let end = endPosition ?? path.end
        let name = path.substring(start, end)
        if isFunction {
            guard let close = try path.indexOfClosingParenthesis(end, skipStrings: true, skipRegex: false) else {
                throw .invalid("Arguments to function: '\(name)' are not closed properly.")
            }
            let arguments = try Self.parseFunctionArguments(path.substring(end + 1, close))
            path.position = close + 1
            tokens.append(.function(name: name, arguments: arguments))
        } else {
            path.position = end
            tokens.append(.property([name]))
        }
        if path.position >= path.end { return true }
        try continueAfterToken()
        return true
    }

    private static func parseFunctionArguments(_ text: String) throws(JSONPathError) -> [FunctionArgument] {
        var arguments: [FunctionArgument] = []
        for piece in splitTopLevel(text) {
            let trimmed = piece.trimmingJavaWhitespace()
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix("$") || trimmed.hasPrefix("@") {
                arguments.append(.path(try JSONPath(trimmed)))
            } else if let value = FilterCompiler.parseLenientJSON(trimmed) {
                arguments.append(.literal(value))
            } else {
                throw .invalid("Could not parse function argument: \(trimmed)")
            }
        }
        return arguments
    }

    private mutating func readBracketPropertyToken() throws(JSONPathError) -> Bool {
        guard path.currentIs("[") else { return false }
        let delimiter = path.nextSignificantChar
        guard delimiter == "'" || delimiter == "\"" else { return false }
        var names: [String] = []
        var start = path.position + 1
        var read = start
        var endPosition = 0
        var inProperty = false
        var inEscape = false
        var lastWasComma = false
        while path.inBounds(read) {
            let c = path.chars[read]
            if inEscape {
                inEscape = false
            } else if c == "\\" {
                inEscape = true
            } else if c == "]" && !inProperty {
                if lastWasComma { throw .invalid("Found empty property at index \(read)") }
                break
            } else if c == delimiter {
                if inProperty {
                    let next = path.nextSignificantChar(after: read)
                    if next != "]" && next != "," {
                        throw .invalid("Property must be separated by comma or Property must be terminated close square bracket at index \(read)")
                    }
                    endPosition = read
                    names.append(Self.unescapeQuotedName(path.substring(start, endPosition), delimiter: delimiter))
                    inProperty = false
                } else {
                    start = read + 1
                    inProperty = true
                    lastWasComma = false
                }
            } else if c == "," && !inProperty {
                if lastWasComma { throw .invalid("Found empty property at index \(read)") }
                lastWasComma = true
            }
            read += 1
        }
        if inProperty { throw .invalid("Property has not been closed - missing closing \(delimiter)") }
        guard let close = path.indexOfNextSignificantChar(after: endPosition, "]") else {
            throw .invalid("Property has not been closed - missing closing ]")
        }
        path.position = close + 1
        tokens.append(.property(names))
        try continueAfterToken()
        return true
    }

    /// In a quoted name only the delimiter and the backslash are escaped; AWS keeps any other
    /// backslash as written (recorded: `$['Test\""Name"']` selects the key `Test\""Name"`).
    static func unescapeQuotedName(_ raw: String, delimiter: Unicode.Scalar) -> String {
        var out = String.UnicodeScalarView()
        var scalars = raw.unicodeScalars[...]
        while let c = scalars.popFirst() {
            if c == "\\", let next = scalars.first, next == delimiter || next == "\\" {
                out.append(next)
                scalars.removeFirst()
            } else {
                out.append(c)
            }
        }
        return String(out)
    }

    private mutating func readArrayToken() throws(JSONPathError) -> Bool {
        guard path.currentIs("[") else { return false }
        let next = path.nextSignificantChar
        guard next.properties.numericType == .decimal && next.isASCII || next == "-" || next == ":" else { return false }
        let begin = path.position + 1
        guard let close = path.nextIndex(of: "]", from: begin) else { return false }
        let expression = path.substring(begin, close).trimmingJavaWhitespace()
        if expression == "*" { return false }
        for c in expression.unicodeScalars where !(isASCIIDigit(c) || c == "," || c == "-" || c == ":" || c == " ") {
            return false
        }
        if expression.contains(":") {
            tokens.append(try Self.parseSlice(expression))
        } else {
            tokens.append(try Self.parseIndexes(expression))
        }
        path.position = close + 1
        try continueAfterToken()
        return true
    }

    private static func parseSlice(_ expression: String) throws(JSONPathError) -> PathToken {
        for c in expression.unicodeScalars where !(isASCIIDigit(c) || c == "-" || c == ":") {
            throw .invalid("Failed to parse SliceOperation: \(expression)")
        }
        // Java's String.split drops trailing empty strings.
        var parts = expression.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        while parts.last == "" { parts.removeLast() }
        func read(_ i: Int) throws(JSONPathError) -> Int? {
            guard i < parts.count, !parts[i].isEmpty else { return nil }
            return try parseJavaInt(parts[i])
        }
        let from = try read(0)
        let to = try read(1)
        if from == nil && to == nil { throw .invalid("Failed to parse SliceOperation: \(expression)") }
        return .slice(from: from, to: to)
    }

    private static func parseIndexes(_ expression: String) throws(JSONPathError) -> PathToken {
        let parts = expression.split(separator: ",", omittingEmptySubsequences: false)
        var indexes: [Int] = []
        for part in parts {
            let token = String(part).trimmingCharacters(" ")
            guard !token.isEmpty else {
                throw .invalid("Failed to parse token in ArrayIndexOperation: \(token)")
            }
            indexes.append(try parseJavaInt(token, context: "Failed to parse token in ArrayIndexOperation: \(token)"))
        }
        return .index(indexes)
    }

    private mutating func readWildcardToken() throws(JSONPathError) -> Bool {
        let inBracket = path.currentIs("[")
        if inBracket && path.nextSignificantChar != "*" { return false }
        if !path.currentIs("*") && !path.inBounds(path.position + 1) { return false }
        if inBracket {
            guard let star = path.indexOfNextSignificantChar(after: path.position, "*") else { return false }
            guard let close = path.indexOfNextSignificantChar(after: star, "]") else {
                throw .invalid("Expected wildcard token to end with ']' on position \(star + 1)")
            }
            path.position = close + 1
        } else {
            path.position += 1
        }
        tokens.append(.wildcard)
        try continueAfterToken()
        return true
    }

    private mutating func readFilterToken() throws(JSONPathError) -> Bool {
        guard path.currentIs("[") else { return false }
        let open = path.position
        guard let question = path.indexOfNextSignificantChar(after: open, "?") else { return false }
        guard let paren = path.indexOfNextSignificantChar(after: question, "(") else { return false }
        guard let closeParen = try path.indexOfClosingParenthesis(paren, skipStrings: true, skipRegex: true) else { return false }
        guard let closeBracket = path.indexOfNextSignificantChar(after: closeParen, "]") else { return false }
        let criteria = path.substring(open, closeBracket + 1)
        tokens.append(.filter(try FilterCompiler.compile(criteria)))
        path.position = closeBracket + 1
        try continueAfterToken()
        return true
    }
}

func isASCIIDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }

/// Java's `Integer.parseInt`: 32-bit, with its exception text.
func parseJavaInt(_ text: String, context: String? = nil) throws(JSONPathError) -> Int {
    guard let v = Int32(text) else {
        throw .invalid(context ?? "java.lang.NumberFormatException: For input string: \"\(text)\"")
    }
    return Int(v)
}

extension StringProtocol {
    func trimmingJavaWhitespace() -> String {
        let scalars = Array(unicodeScalars)
        var lo = 0, hi = scalars.count
        while lo < hi && scalars[lo].value <= 0x20 { lo += 1 }
        while hi > lo && scalars[hi - 1].value <= 0x20 { hi -= 1 }
        return String(String.UnicodeScalarView(scalars[lo..<hi]))
    }

    func trimmingCharacters(_ c: Character) -> String {
        var s = Substring(self)
        while s.first == c { s = s.dropFirst() }
        while s.last == c { s = s.dropLast() }
        return String(s)
    }
}

/// Splits `text` at commas that are outside quotes, brackets, braces and parentheses.
func splitTopLevel(_ text: String) -> [String] {
    var pieces: [String] = []
    var current = ""
    var depth = 0
    var quote: Character? = nil
    var escaped = false
    for c in text {
        if let q = quote {
            current.append(c)
            if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == q { quote = nil }
            continue
        }
        switch c {
        case "'", "\"": quote = c; current.append(c)
        case "[", "{", "(": depth += 1; current.append(c)
        case "]", "}", ")": depth -= 1; current.append(c)
        case "," where depth == 0:
            pieces.append(current)
            current = ""
        default: current.append(c)
        }
    }
    pieces.append(current)
    return pieces
}
