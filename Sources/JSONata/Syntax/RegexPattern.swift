import Foundation

/// A regular expression literal (`/ab+c/i`), compiled once when the expression is parsed.
///
/// JSONata's regular expressions are JavaScript's; they run here on ICU (through
/// `NSRegularExpression`), whose syntax is a superset for everything JSONata users write.
/// Offsets are UTF-16 code units, as in JavaScript.
final class RegexPattern: @unchecked Sendable {
    let source: String
    let flags: String
    let compiled: NSRegularExpression

    struct Match {
        var text: String
        var start: Int
        var end: Int
        var groups: [String]
    }

    init(_ source: String, flags: String, position: Int) throws(JSONataError) {
        self.source = source
        self.flags = flags
        var options: NSRegularExpression.Options = []
        if flags.contains("i") { options.insert(.caseInsensitive) }
        if flags.contains("m") { options.insert(.anchorsMatchLines) }
        do {
            compiled = try NSRegularExpression(pattern: source, options: options)
        } catch {
            throw JSONataError("S0303", message: "Invalid regular expression: /\(source)/\(flags)", position: position)
        }
    }

    /// The first match at or after the UTF-16 offset `from`.
    func firstMatch(in string: NSString, from: Int) -> Match? {
        guard from <= string.length,
            let result = compiled.firstMatch(in: string as String, options: [], range: NSRange(location: from, length: string.length - from))
        else { return nil }
        return match(result, in: string)
    }

    /// Every match, left to right, as JavaScript's global matching finds them.
    func allMatches(in string: NSString) -> [Match] {
        compiled.matches(in: string as String, options: [], range: NSRange(location: 0, length: string.length)).map { match($0, in: string) }
    }

    private func match(_ result: NSTextCheckingResult, in string: NSString) -> Match {
        var groups: [String] = []
        if result.numberOfRanges > 1 {
            for i in 1..<result.numberOfRanges {
                let range = result.range(at: i)
                groups.append(range.location == NSNotFound ? "" : string.substring(with: range))
            }
        }
        return Match(
            text: string.substring(with: result.range), start: result.range.location, end: result.range.location + result.range.length,
            groups: groups)
    }
}
