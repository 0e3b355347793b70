/// The picture strings of `$formatInteger` and `$parseInteger` (XPath `fn:format-integer`):
/// decimal digit patterns with grouping separators, letters, Roman numerals and words.
struct IntegerPicture: Sendable {
    enum Primary: Equatable, Sendable { case decimal, letters, roman, words, sequence(String) }
    enum LetterCase: Sendable { case upper, lower, title }
    struct Separator: Sendable {
        var position: Int
        var character: String
    }

    var primary: Primary = .decimal
    var letterCase: LetterCase = .lower
    var ordinal = false
    var zeroCode: UInt32 = 0x30
    var mandatoryDigits = 0
    var optionalDigits = 0
    var regular: Separator?
    var separators: [Separator] = []
    /// The fixed width of a year component, when the picture gives one.
    var width: Int?

    static let decimalGroups: [UInt32] = [
        0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50,
        0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620,
        0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    ]

    init(_ picture: String) throws(JSONataError) {
        var primaryFormat = picture
        if let semicolon = picture.lastIndex(of: ";") {
            primaryFormat = String(picture[..<semicolon])
            if picture[picture.index(after: semicolon)...].first == "o" { ordinal = true }
        }
        switch primaryFormat {
        case "A": (letterCase, primary) = (.upper, .letters)
        case "a": primary = .letters
        case "I": (letterCase, primary) = (.upper, .roman)
        case "i": primary = .roman
        case "W": (letterCase, primary) = (.upper, .words)
        case "Ww": (letterCase, primary) = (.title, .words)
        case "w": primary = .words
        default:
            var zero: UInt32?
            var position = 0
            var found: [Separator] = []
            for scalar in primaryFormat.unicodeScalars.reversed() {
                if let group = Self.decimalGroups.first(where: { scalar.value >= $0 && scalar.value <= $0 + 9 }) {
                    mandatoryDigits += 1
                    position += 1
                    if let zero, zero != group { throw JSONataError("D3131") }
                    zero = group
                } else if scalar == "#" {
                    position += 1
                    optionalDigits += 1
                } else {
                    found.append(Separator(position: position, character: String(scalar)))
                }
            }
            guard mandatoryDigits > 0, let zero else {
                primary = .sequence(primaryFormat)
                return
            }
            zeroCode = zero
            if let interval = Self.regularInterval(found) {
                regular = Separator(position: interval, character: found[0].character)
            } else {
                separators = found
            }
        }
    }

    /// The common interval of separators that are all the same character and evenly spaced.
    private static func regularInterval(_ separators: [Separator]) -> Int? {
        guard let first = separators.first, separators.allSatisfy({ $0.character == first.character }) else { return nil }
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        let positions = separators.map(\.position)
        let factor = positions.dropFirst().reduce(positions[0], gcd)
        guard factor > 0 else { return nil }
        for i in 1...positions.count where !positions.contains(i * factor) { return nil }
        return factor
    }

    func format(_ value: Int) throws(JSONataError) -> String {
        try format(Double(value))
    }

    /// Formats `value`, an integer held as a double as in JSONata.
    func format(_ value: Double) throws(JSONataError) -> String {
        let negative = value < 0
        let magnitude = abs(value)
        var text: String
        switch primary {
        case .letters:
            text = Self.letters(Int(magnitude.clamped), upper: letterCase == .upper)
        case .roman:
            text = Self.roman(Int(min(magnitude, 1e7)))
            if letterCase == .upper { text = text.uppercased() }
        case .words:
            text = NumberWords.words(magnitude, ordinal: ordinal)
            if letterCase == .upper { text = text.uppercased() } else if letterCase == .lower { text = text.lowercased() }
        case .decimal:
            text = NumberText.javaScript(magnitude)
            if text.count < mandatoryDigits { text = String(repeating: "0", count: mandatoryDigits - text.count) + text }
            if zeroCode != 0x30 {
                text = String(
                    String.UnicodeScalarView(text.unicodeScalars.map { Unicode.Scalar($0.value + zeroCode - 0x30)! }))
            }
            if regular != nil || !separators.isEmpty {
                text = grouped(text)
            }
            if ordinal {
                let digits = Array(text)
                var suffix =
                    switch digits.last {
                    case "1": "st"
                    case "2": "nd"
                    case "3": "rd"
                    default: "th"
                    }
                if digits.count > 1, digits[digits.count - 2] == "1" { suffix = "th" }
                text += suffix
            }
        case .sequence(let token):
            throw JSONataError("D3130", value: .string(token))
        }
        return negative ? "-" + text : text
    }

    /// The digits with the picture's grouping separators put in.
    private func grouped(_ text: String) -> String {
        var chars = Array(text.unicodeScalars).map { String($0) }
        if let regular {
            let n = (chars.count - 1) / regular.position
            if n > 0 {
                for i in stride(from: n, through: 1, by: -1) {
                    chars.insert(regular.character, at: chars.count - i * regular.position)
                }
            }
        } else {
            for separator in separators.reversed() {
                let at = chars.count - separator.position
                if at >= 0 { chars.insert(separator.character, at: at) }
            }
        }
        return chars.joined()
    }

    static func letters(_ value: Int, upper: Bool) -> String {
        var value = value
        var letters: [Character] = []
        let a = upper ? 65 : 97
        while value > 0 {
            letters.insert(Character(Unicode.Scalar(UInt8((value - 1) % 26 + a))), at: 0)
            value = (value - 1) / 26
        }
        return String(letters)
    }

    static func lettersValue(_ text: String, upper: Bool) -> Double {
        let a = upper ? 65.0 : 97.0
        var result = 0.0
        var place = 1.0
        for scalar in text.unicodeScalars.reversed() {
            result += (Double(scalar.value) - a + 1) * place
            place *= 26
        }
        return result
    }

    static let numerals: [(Int, String)] = [
        (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"),
        (5, "v"), (4, "iv"), (1, "i"),
    ]

    static func roman(_ value: Int) -> String {
        var value = value
        var out = ""
        for (amount, numeral) in numerals {
            while value >= amount {
                out += numeral
                value -= amount
            }
        }
        return out
    }

    static func romanValue(_ text: String) -> Int {
        let values: [Character: Int] = ["M": 1000, "D": 500, "C": 100, "L": 50, "X": 10, "V": 5, "I": 1]
        var total = 0
        var largest = 1
        for ch in text.uppercased().reversed() {
            let v = values[ch] ?? 0
            if v < largest {
                total -= v
            } else {
                largest = v
                total += v
            }
        }
        return total
    }

    /// `$parseInteger`: the value a string written in this picture stands for.
    func parse(_ text: String) throws(JSONataError) -> Double? {
        switch primary {
        case .letters: return Self.lettersValue(text, upper: letterCase == .upper)
        case .roman: return Double(Self.romanValue(text))
        case .words: return NumberWords.value(text.lowercased())
        case .sequence(let token): throw JSONataError("D3130", value: .string(token))
        case .decimal:
            var digits = text
            if ordinal { digits = String(digits.dropLast(2)) }
            if let regular {
                digits = digits.replacingAll(regular.character, with: "")
            } else {
                for separator in separators { digits = digits.replacingAll(separator.character, with: "") }
            }
            if zeroCode != 0x30 {
                digits = String(
                    String.UnicodeScalarView(digits.unicodeScalars.map { Unicode.Scalar($0.value - zeroCode + 0x30) ?? $0 }))
            }
            return Double(Int(digits.prefix { $0.isASCII && $0.isNumber }) ?? 0)
        }
    }
}

