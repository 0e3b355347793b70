/// A position in a path or filter text, with the look-ahead helpers Jayway's compiler uses.
struct CharacterCursor {
    var chars: [Unicode.Scalar]
    var position = 0
    var end: Int

    init(_ text: some StringProtocol) {
        chars = Array(text.unicodeScalars)
        end = chars.count
    }

    init(_ scalars: ArraySlice<Unicode.Scalar>) {
        chars = Array(scalars)
        end = chars.count
    }

    var text: String { String(String.UnicodeScalarView(chars[0..<end])) }

    func inBounds(_ i: Int) -> Bool { i >= 0 && i < end }
    var inBounds: Bool { inBounds(position) }
    var current: Unicode.Scalar { inBounds ? chars[position] : "\0" }
    func char(at i: Int) -> Unicode.Scalar { inBounds(i) ? chars[i] : "\0" }
    func currentIs(_ c: Unicode.Scalar) -> Bool { inBounds && chars[position] == c }
    /// Whether the path is fully read. Jayway stops one character early (`position >= end - 1`)
    /// and so ignores a stray last character (`$.a[` reads as `$.a`); Statesman rejects it
    /// instead (docs/compatibility.md).
    var currentIsTail: Bool { position >= end }
    var hasMoreCharacters: Bool { inBounds(position + 1) }

    func substring(_ from: Int, _ to: Int) -> String {
        let lo = max(0, min(from, end)), hi = max(lo, min(to, end))
        return String(String.UnicodeScalarView(chars[lo..<hi]))
    }

    /// The next non-space character after `from`, or NUL.
    func nextSignificantChar(after from: Int) -> Unicode.Scalar {
        var i = from + 1
        while inBounds(i) && chars[i] == " " { i += 1 }
        return inBounds(i) ? chars[i] : "\0"
    }
    var nextSignificantChar: Unicode.Scalar { nextSignificantChar(after: position) }

    func indexOfNextSignificantChar(after from: Int, _ c: Unicode.Scalar) -> Int? {
        var i = from + 1
        while inBounds(i) && chars[i] == " " { i += 1 }
        return inBounds(i) && chars[i] == c ? i : nil
    }

    func nextIndex(of c: Unicode.Scalar, from: Int) -> Int? {
        var i = from
        while inBounds(i) {
            if chars[i] == c { return i }
            i += 1
        }
        return nil
    }

    /// The index of the next `c` after `from` that is not escaped with a backslash.
    func nextIndexOfUnescaped(_ c: Unicode.Scalar, after from: Int) -> Int? {
        var i = from + 1
        var escaped = false
        while inBounds(i) {
            if escaped {
                escaped = false
            } else if chars[i] == "\\" {
                escaped = true
            } else if chars[i] == c {
                return i
            }
            i += 1
        }
        return nil
    }

    /// The index of the `)` closing the `(` at `start`, skipping quoted strings and `/regex/`
    /// literals as Jayway does.
    func indexOfClosingParenthesis(_ start: Int, skipStrings: Bool, skipRegex: Bool) throws(JSONPathError) -> Int? {
        guard char(at: start) == "(" else { return nil }
        var opened = 1
        var i = start + 1
        while inBounds(i) {
            if skipStrings, chars[i] == "'" || chars[i] == "\"" {
                let quote = chars[i]
                guard let close = nextIndexOfUnescaped(quote, after: i) else {
                    throw .invalid("Could not find matching close quote for \(quote) when parsing : \(text)")
                }
                i = close + 1
            }
            if skipRegex, char(at: i) == "/" {
                guard let close = nextIndexOfUnescaped("/", after: i) else {
                    throw .invalid("Could not find matching close for / when parsing regex in : \(text)")
                }
                i = close + 1
            }
            if char(at: i) == "(" { opened += 1 }
            if char(at: i) == ")" {
                opened -= 1
                if opened == 0 { return i }
            }
            i += 1
        }
        return nil
    }

    /// The index of the bracket closing the one at `start` (`[`/`]` or `{`/`}`), skipping strings.
    func indexOfMatchingClose(_ start: Int, open: Unicode.Scalar, close: Unicode.Scalar) -> Int? {
        var depth = 0
        var i = start
        var quote: Unicode.Scalar? = nil
        var escaped = false
        while inBounds(i) {
            let c = chars[i]
            if let q = quote {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
            } else if c == open {
                depth += 1
            } else if c == close {
                depth -= 1
                if depth == 0 { return i }
            }
            i += 1
        }
        return nil
    }

    mutating func skipBlanks() {
        while inBounds && chars[position] == " " { position += 1 }
    }

    /// Java's `String.trim` on the cursor's window: drops characters ≤ U+0020 at both ends.
    mutating func trim() {
        while position < end && chars[position].value <= 0x20 { position += 1 }
        while end > position && chars[end - 1].value <= 0x20 { end -= 1 }
    }
}

/// Java's `Utils.unescape` for quoted names and string literals.
func unescapeJava(_ text: String) -> String {
    var out = String.UnicodeScalarView()
    var scalars = Array(text.unicodeScalars)[...]
    while let c = scalars.popFirst() {
        guard c == "\\", let next = scalars.popFirst() else {
            out.append(c)
            continue
        }
        switch next {
        case "n": out.append("\n")
        case "t": out.append("\t")
        case "r": out.append("\r")
        case "b": out.append("\u{08}")
        case "f": out.append("\u{0C}")
        case "u":
            let hex = String(String.UnicodeScalarView(scalars.prefix(4)))
            if hex.count == 4, let v = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(v) {
                out.append(scalar)
                scalars = scalars.dropFirst(4)
            } else {
                out.append(next)
            }
        default: out.append(next)  // \' \" \\ \/ and anything else: the character itself
        }
    }
    return String(out)
}
