import JSONCore
import PathExpressions

/// Why an intrinsic call does not parse or does not fit its function's signature. `offset`
/// counts characters from the start of the call text.
public struct IntrinsicSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var offset: Int
    public var description: String { "at character \(offset + 1): \(message)" }
}

extension IntrinsicCall {
    /// AWS allows at most 10 intrinsic functions nested within one field.
    public static let maximumNesting = 10

    /// Parses an intrinsic call: `States.Name(arg, ...)` where each argument is a quoted
    /// string (`\'`, `\{`, `\}` and `\\` escaped with a backslash), a number, `true`, `false`,
    /// `null`, a path (`$...`, `$$...`, `$name...`) or a nested call.
    public init(parsing text: String) throws(IntrinsicSyntaxError) {
        var parser = IntrinsicParser(text: text)
        parser.skipSpaces()
        let call = try parser.parseCall(depth: 1)
        parser.skipSpaces()
        guard parser.atEnd else {
            throw parser.error("unexpected '\(parser.current)' after the end of the call")
        }
        self = call
    }
}

struct IntrinsicParser {
    let chars: [Character]
    let text: String
    var pos = 0

    init(text: String) {
        self.text = text
        self.chars = Array(text)
    }

    var atEnd: Bool { pos >= chars.count }
    var current: Character { atEnd ? "\0" : chars[pos] }

    func error(_ message: String, at offset: Int? = nil) -> IntrinsicSyntaxError {
        IntrinsicSyntaxError(message: message, offset: offset ?? pos)
    }

    mutating func skipSpaces() {
        while !atEnd && chars[pos].isWhitespace { pos += 1 }
    }

    mutating func parseCall(depth: Int) throws(IntrinsicSyntaxError) -> IntrinsicCall {
        let start = pos
        guard depth <= IntrinsicCall.maximumNesting else {
            throw error("more than \(IntrinsicCall.maximumNesting) intrinsic functions are nested in one field", at: start)
        }
        while !atEnd && (chars[pos].isLetter || chars[pos].isNumber || chars[pos] == ".") { pos += 1 }
        let name = String(chars[start..<pos])
        guard let function = IntrinsicFunction(rawValue: name) else {
            throw error(name.isEmpty ? "expected an intrinsic function name such as States.Format" : "unknown intrinsic function '\(name)'", at: start)
        }
        skipSpaces()
        guard current == "(" else { throw error("expected '(' after \(name)") }
        pos += 1
        var arguments: [IntrinsicArgument] = []
        skipSpaces()
        if current == ")" {
            pos += 1
        } else {
            while true {
                skipSpaces()
                arguments.append(try parseArgument(depth: depth))
                skipSpaces()
                if current == "," {
                    pos += 1
                    continue
                }
                if current == ")" {
                    pos += 1
                    break
                }
                throw error(atEnd ? "unterminated call to \(name): expected ')'" : "expected ',' or ')' in the arguments of \(name), found '\(current)'")
            }
        }
        guard function.arity.contains(arguments.count) else {
            throw error(Self.arityMessage(function, arguments.count), at: start)
        }
        for (i, argument) in arguments.enumerated() where function.numericArguments.contains(i) {
            switch argument {
            case .string, .literal(.bool), .literal(.null):
                throw error("argument \(i + 1) of \(name) must be a number or a path", at: start)
            default: break
            }
        }
        if function == .jsonToString, case .path = arguments[0] {} else if function == .jsonToString {
            throw error("the argument of States.JsonToString must be a path", at: start)
        }
        let callText = String(chars[start..<pos])
        return IntrinsicCall(name: name, function: function, arguments: arguments, text: callText)
    }

    static func arityMessage(_ function: IntrinsicFunction, _ count: Int) -> String {
        let range = function.arity
        let expected: String
        if range.upperBound == Int.max {
            expected = "at least \(range.lowerBound)"
        } else if range.lowerBound == range.upperBound {
            expected = "exactly \(range.lowerBound)"
        } else {
            expected = "\(range.lowerBound) to \(range.upperBound)"
        }
        return "\(function.rawValue) takes \(expected) argument\(range == 1...1 ? "" : "s"), but \(count) were given"
    }

    mutating func parseArgument(depth: Int) throws(IntrinsicSyntaxError) -> IntrinsicArgument {
        let start = pos
        switch current {
        case "'":
            return try parseString()
        case "$":
            let text = readPathText()
            do {
                return .path(try Selector(text))
            } catch {
                throw self.error("invalid path '\(text)': \(error.message)", at: start)
            }
        case "-", "0"..."9":
            while !atEnd && (chars[pos].isNumber || "+-.eE".contains(chars[pos])) { pos += 1 }
            let literal = String(chars[start..<pos])
            guard let number = try? JSONValue(parsing: literal), number.isNumber else {
                throw error("invalid number '\(literal)'", at: start)
            }
            return .literal(number)
        default:
            if chars[pos...].starts(with: "States.") {
                return .call(try parseCall(depth: depth + 1))
            }
            while !atEnd && chars[pos].isLetter { pos += 1 }
            switch String(chars[start..<pos]) {
            case "true": return .literal(.bool(true))
            case "false": return .literal(.bool(false))
            case "null": return .literal(.null)
            case "": throw error(atEnd ? "unexpected end of the call, expected an argument" : "unexpected '\(current)', expected an argument")
            case let word: throw error("unexpected '\(word)', expected a string, number, boolean, null, path or intrinsic function", at: start)
            }
        }
    }

    /// Reads a quoted string. Only `\'`, `\{`, `\}` and `\\` are escapes; AWS rejects a
    /// backslash before anything else (recorded: `\"` in a literal is an invalid definition).
    mutating func parseString() throws(IntrinsicSyntaxError) -> IntrinsicArgument {
        let start = pos
        pos += 1
        var raw = ""
        var value = ""
        while !atEnd {
            let c = chars[pos]
            if c == "\\" {
                guard pos + 1 < chars.count else { break }
                let next = chars[pos + 1]
                guard "'{}\\".contains(next) else {
                    throw error("invalid escape sequence '\\\(next)' in a string literal: only \\', \\{, \\} and \\\\ are allowed")
                }
                raw.append(c)
                raw.append(next)
                value.append(next)
                pos += 2
                continue
            }
            if c == "'" {
                pos += 1
                return .string(raw: raw, value: value)
            }
            raw.append(c)
            value.append(c)
            pos += 1
        }
        throw error("unterminated string literal", at: start)
    }

    /// A path runs to the next `,` or `)` outside brackets, parentheses and quotes.
    mutating func readPathText() -> String {
        let start = pos
        var depth = 0
        var quote: Character? = nil
        while !atEnd {
            let c = chars[pos]
            if let q = quote {
                if c == "\\" { pos += 2; continue }
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
            } else if c == "[" || c == "(" {
                depth += 1
            } else if c == "]" || c == ")" {
                if depth == 0 { break }
                depth -= 1
            } else if c == "," && depth == 0 {
                break
            }
            pos += 1
        }
        pos = min(pos, chars.count)
        var text = String(chars[start..<pos])
        while text.last?.isWhitespace == true { text.removeLast() }
        return text
    }
}
