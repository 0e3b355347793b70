import Foundation

/// `$formatNumber` (XPath `fn:format-number`): decimal pictures such as `#,##0.00`, `0.0e0`,
/// `00%`, with optional overrides of the separators and digits.
struct NumberPicture {
    private var decimalSeparator: Character = "."
    private var groupingSeparator: Character = ","
    private var exponentSeparator: Character = "e"
    private var minusSign = "-"
    private var percent: Character = "%"
    private var perMille: Character = "\u{2030}"
    private var zeroDigit: Character = "0"
    private var digit: Character = "#"
    private var patternSeparator: Character = ";"

    private var family: [Character] = []
    private var activeChars: Set<Character> = []

    private struct Parts {
        var prefix: [Character]
        var suffix: [Character]
        var active: [Character]
        var mantissa: [Character]
        var exponent: [Character]?
        var integer: [Character]
        var fraction: [Character]
        var picture: [Character]
    }

    private struct Analysis {
        var integerGroupingPositions: [Int]
        var regularGrouping: Int
        var minimumIntegerSize: Int
        var scalingFactor: Int
        var prefix: String
        var fractionGroupingPositions: [Int]
        var minimumFractionSize: Int
        var maximumFractionSize: Int
        var minimumExponentSize: Int
        var suffix: String
        var picture: [Character]
    }

    init(options: ValueObject?) {
        if let options {
            func char(_ key: String) -> Character? { options[key]?.stringValue?.first }
            decimalSeparator = char("decimal-separator") ?? decimalSeparator
            groupingSeparator = char("grouping-separator") ?? groupingSeparator
            exponentSeparator = char("exponent-separator") ?? exponentSeparator
            minusSign = options["minus-sign"]?.stringValue ?? minusSign
            percent = char("percent") ?? percent
            perMille = char("per-mille") ?? perMille
            zeroDigit = char("zero-digit") ?? zeroDigit
            digit = char("digit") ?? digit
            patternSeparator = char("pattern-separator") ?? patternSeparator
        }
        let zero = zeroDigit.unicodeScalars.first!.value
        family = (0..<10).map { Character(Unicode.Scalar(zero + $0)!) }
        activeChars = Set(family + [decimalSeparator, exponentSeparator, groupingSeparator, digit, patternSeparator])
    }

    func format(_ value: Double, picture: String) throws(JSONataError) -> String {
        let subPictures = Array(picture).split(separator: patternSeparator, omittingEmptySubsequences: false).map(Array.init)
        if subPictures.count > 2 { throw JSONataError("D3080") }
        let parts = subPictures.map(split)
        for part in parts { try validate(part) }
        var analyses = parts.map(analyse)
        if analyses.count == 1 {
            var negative = analyses[0]
            negative.prefix = minusSign + negative.prefix
            analyses.append(negative)
        }
        let pic = value >= 0 ? analyses[0] : analyses[1]
        var adjusted = value
        if pic.picture.contains(percent) {
            adjusted = value * 100
        } else if pic.picture.contains(perMille) {
            adjusted = value * 1000
        }
        var mantissa = adjusted
        var exponent: Int?
        if pic.minimumExponentSize != 0 {
            let maxMantissa = pow(10, Double(pic.scalingFactor))
            let minMantissa = pow(10, Double(pic.scalingFactor - 1))
            var e = 0
            while mantissa < minMantissa {
                mantissa *= 10
                e -= 1
            }
            while mantissa > maxMantissa {
                mantissa /= 10
                e += 1
            }
            exponent = e
        }
        let rounded = Builtins.round(mantissa, precision: pic.maximumFractionSize)
        var text = Array(digits(abs(rounded), places: pic.maximumFractionSize))
        if let dot = text.firstIndex(of: ".") {
            text[dot] = decimalSeparator
        } else {
            text.append(decimalSeparator)
        }
        while text.first == zeroDigit { text.removeFirst() }
        while text.last == zeroDigit { text.removeLast() }
        var decimalPos = text.firstIndex(of: decimalSeparator)!
        let padLeft = pic.minimumIntegerSize - decimalPos
        let padRight = pic.minimumFractionSize - (text.count - decimalPos - 1)
        if padLeft > 0 { text.insert(contentsOf: Array(repeating: zeroDigit, count: padLeft), at: 0) }
        if padRight > 0 { text.append(contentsOf: Array(repeating: zeroDigit, count: padRight)) }
        decimalPos = text.firstIndex(of: decimalSeparator)!
        if pic.regularGrouping > 0 {
            let groups = (decimalPos - 1) / pic.regularGrouping
            if groups >= 1 {
                for group in 1...groups { text.insert(groupingSeparator, at: decimalPos - group * pic.regularGrouping) }
            }
        } else {
            for position in pic.integerGroupingPositions {
                text.insert(groupingSeparator, at: decimalPos - position)
                decimalPos += 1
            }
        }
        decimalPos = text.firstIndex(of: decimalSeparator)!
        for position in pic.fractionGroupingPositions {
            text.insert(groupingSeparator, at: min(text.count, position + decimalPos + 1))
        }
        decimalPos = text.firstIndex(of: decimalSeparator)!
        if !pic.picture.contains(decimalSeparator) || decimalPos == text.count - 1 { text.removeLast() }
        var result = String(text)
        if let exponent {
            var e = digits(Double(abs(exponent)), places: 0)
            if pic.minimumExponentSize - e.count > 0 {
                e = String(repeating: zeroDigit, count: pic.minimumExponentSize - e.count) + e
            }
            result += String(exponentSeparator) + (exponent < 0 ? minusSign : "") + e
        }
        return pic.prefix + result + pic.suffix
    }

    /// `toFixed(places)` in this picture's digits.
    private func digits(_ value: Double, places: Int) -> String {
        let fixed = String(format: "%.\(places)f", value)
        guard zeroDigit != "0" else { return fixed }
        return String(fixed.map { ch in ch.isASCII && ch.isNumber ? family[Int(ch.asciiValue! - 48)] : ch })
    }

    private func split(_ sub: [Character]) -> Parts {
        let isActive: (Character) -> Bool = { activeChars.contains($0) && $0 != exponentSeparator }
        let prefixEnd = sub.firstIndex(where: isActive) ?? sub.count
        let suffixStart = (sub.lastIndex(where: isActive).map { $0 + 1 }) ?? sub.count
        let prefix = Array(sub[..<prefixEnd])
        let suffix = suffixStart >= prefixEnd ? Array(sub[suffixStart...]) : []
        let active = prefixEnd <= sub.count - suffix.count ? Array(sub[prefixEnd..<(sub.count - suffix.count)]) : []
        var mantissa = active
        var exponent: [Character]?
        if let e = sub[prefixEnd...].firstIndex(of: exponentSeparator), e <= sub.count - suffix.count {
            // JSONata indexes the active part with the position in the whole sub-picture.
            let local = e
            mantissa = Array(active[..<min(local, active.count)])
            exponent = local + 1 <= active.count ? Array(active[(local + 1)...]) : []
        }
        var integer = mantissa
        var fraction = suffix
        if let d = mantissa.firstIndex(of: decimalSeparator) {
            integer = Array(mantissa[..<d])
            fraction = Array(mantissa[(d + 1)...])
        }
        return Parts(
            prefix: prefix, suffix: suffix, active: active, mantissa: mantissa, exponent: exponent, integer: integer, fraction: fraction,
            picture: sub)
    }

    private func validate(_ parts: Parts) throws(JSONataError) {
        var error: String?
        let sub = parts.picture
        let decimalPos = sub.firstIndex(of: decimalSeparator)
        if decimalPos != sub.lastIndex(of: decimalSeparator) { error = "D3081" }
        if sub.firstIndex(of: percent) != sub.lastIndex(of: percent) { error = "D3082" }
        if sub.firstIndex(of: perMille) != sub.lastIndex(of: perMille) { error = "D3083" }
        if sub.contains(percent), sub.contains(perMille) { error = "D3084" }
        if !parts.mantissa.contains(where: { family.contains($0) || $0 == digit }) { error = "D3085" }
        if parts.active.contains(where: { !activeChars.contains($0) }) { error = "D3086" }
        if let decimalPos {
            if (decimalPos > 0 && sub[decimalPos - 1] == groupingSeparator)
                || (decimalPos + 1 < sub.count && sub[decimalPos + 1] == groupingSeparator)
            {
                error = "D3087"
            }
        } else if parts.integer.last == groupingSeparator {
            error = "D3088"
        }
        if zip(sub, sub.dropFirst()).contains(where: { $0 == groupingSeparator && $1 == groupingSeparator }) { error = "D3089" }
        if let optional = parts.integer.firstIndex(of: digit), parts.integer[..<optional].contains(where: family.contains) {
            error = "D3090"
        }
        if let optional = parts.fraction.lastIndex(of: digit), parts.fraction[optional...].contains(where: family.contains) {
            error = "D3091"
        }
        if let exponent = parts.exponent {
            if !exponent.isEmpty, sub.contains(percent) || sub.contains(perMille) { error = "D3092" }
            if exponent.isEmpty || exponent.contains(where: { !family.contains($0) }) { error = "D3093" }
        }
        if let error { throw JSONataError(error) }
    }

    private func analyse(_ parts: Parts) -> Analysis {
        func groupingPositions(_ part: [Character], toLeft: Bool) -> [Int] {
            var positions: [Int] = []
            var index = part.firstIndex(of: groupingSeparator)
            while let at = index {
                let slice = toLeft ? part[..<at] : part[at...]
                positions.append(slice.filter { family.contains($0) || $0 == digit }.count)
                index = at + 1 < parts.integer.count ? parts.integer[(at + 1)...].firstIndex(of: groupingSeparator) : nil
            }
            return positions
        }
        let integerPositions = groupingPositions(parts.integer, toLeft: false)
        func regular(_ indexes: [Int]) -> Int {
            guard let first = indexes.first else { return 0 }
            func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
            let factor = indexes.dropFirst().reduce(first, gcd)
            guard factor > 0 else { return 0 }
            for i in 1...indexes.count where !indexes.contains(i * factor) { return 0 }
            return factor
        }
        let fractionPositions = groupingPositions(parts.fraction, toLeft: true)
        var minimumInteger = parts.integer.filter(family.contains).count
        let scaling = minimumInteger
        var minimumFraction = parts.fraction.filter(family.contains).count
        var maximumFraction = parts.fraction.filter { family.contains($0) || $0 == digit }.count
        let exponentPresent = parts.exponent != nil
        if minimumInteger == 0, maximumFraction == 0 {
            if exponentPresent {
                minimumFraction = 1
                maximumFraction = 1
            } else {
                minimumInteger = 1
            }
        }
        if exponentPresent, minimumInteger == 0, parts.integer.contains(digit) { minimumInteger = 1 }
        if minimumInteger == 0, minimumFraction == 0 { minimumFraction = 1 }
        let minimumExponent = parts.exponent?.filter(family.contains).count ?? 0
        return Analysis(
            integerGroupingPositions: integerPositions, regularGrouping: regular(integerPositions), minimumIntegerSize: minimumInteger,
            scalingFactor: scaling, prefix: String(parts.prefix), fractionGroupingPositions: fractionPositions,
            minimumFractionSize: minimumFraction, maximumFractionSize: maximumFraction, minimumExponentSize: minimumExponent,
            suffix: String(parts.suffix), picture: parts.picture)
    }
}
