import JSONCore

/// A compiled filter `[?(...)]`, after Jayway's `FilterCompiler`: `||` binds looser than `&&`,
/// `!` negates a parenthesised expression or a path's existence, and a path on its own tests
/// that the path exists.
indirect enum FilterExpression: Sendable {
    case or([FilterExpression])
    case and([FilterExpression])
    case not(FilterExpression)
    case relation(FilterOperand, RelationalOperator, FilterOperand)
}

/// An operand as written in a filter.
enum FilterOperand: Sendable {
    /// `@...` or `$...`; `existenceCheck` when it stands alone.
    case path(JSONPath, existenceCheck: Bool)
    case string(String)
    case number(JSONValue)
    case bool(Bool)
    case null
    /// `[...]` or `{...}`.
    case json(JSONValue)
    case pattern(FilterPattern)

    var isPath: Bool { if case .path = self { true } else { false } }
}

/// Jayway's relational operators, by their spelling.
enum RelationalOperator: String, Sendable {
    case greaterThanOrEqual = ">="
    case lessThanOrEqual = "<="
    case greaterThan = ">"
    case lessThan = "<"
    case equal = "=="
    case notEqual = "!="
    case typeSafeEqual = "==="
    case typeSafeNotEqual = "!=="
    case regex = "=~"
    case notIn = "nin"
    case `in` = "in"
    case contains = "contains"
    case subsetOf = "subsetof"
    case anyOf = "anyof"
    case noneOf = "noneof"
    case size = "size"
    case empty = "empty"
    case exists = "¦exists¦"

    static func parse(_ text: String) throws(JSONPathError) -> RelationalOperator {
        let lowered = text.lowercased()
        guard let op = RelationalOperator(rawValue: lowered), op != .exists else {
            throw .invalid("Filter operator \(text) is not supported!")
        }
        return op
    }
}

/// A `/regex/flags` literal. Java's `Pattern` flags `i`, `m`, `s` and `x` map onto Swift's
/// regex options.
struct FilterPattern: Sendable {
    let source: String
    let flags: String
    private let regex: RegexBox?

    init(source: String, flags: String) {
        self.source = source
        self.flags = flags
        self.regex = RegexBox(source: source, flags: flags)
    }

    /// Whole-string match, as Java's `Matcher.matches`.
    func matches(_ input: String) -> Bool {
        guard let regex else { return false }
        return regex.wholeMatch(input)
    }
}

/// Holds a compiled regular expression.
///
/// `@unchecked Sendable`: the box is immutable after `init` and `Regex` matching does not
/// mutate the regex, so sharing it across threads is safe.
final class RegexBox: @unchecked Sendable {
    private let regex: Regex<AnyRegexOutput>

    init?(source: String, flags: String) {
        guard var regex = try? Regex(source) else { return nil }
        if flags.contains("i") { regex = regex.ignoresCase() }
        if flags.contains("s") { regex = regex.dotMatchesNewlines() }
        if flags.contains("m") { regex = regex.anchorsMatchLineEndings() }
        self.regex = regex
    }

    func wholeMatch(_ input: String) -> Bool {
        (try? regex.wholeMatch(in: input)) != nil
    }
}
