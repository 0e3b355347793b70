import Foundation

/// Numbers in English words, as `$formatInteger(n, 'w')` writes them and `$parseInteger` reads
/// them: "one hundred and twenty-three", "one thousand, two hundred".
enum NumberWords {
    static let few = [
        "Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Eleven", "Twelve", "Thirteen",
        "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen",
    ]
    static let ordinals = [
        "Zeroth", "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth", "Eleventh",
        "Twelfth", "Thirteenth", "Fourteenth", "Fifteenth", "Sixteenth", "Seventeenth", "Eighteenth", "Nineteenth",
    ]
    static let decades = ["Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety", "Hundred"]
    static let magnitudes = ["Thousand", "Million", "Billion", "Trillion"]

    static func words(_ value: Double, ordinal: Bool) -> String {
        lookup(value, afterLarger: false, ordinal: ordinal)
    }

    /// JSONata works on doubles here, so very large numbers read as multiples of trillions.
    private static func lookup(_ num: Double, afterLarger: Bool, ordinal: Bool) -> String {
        if num <= 19 {
            let i = Int(num)
            return (afterLarger ? " and " : "") + (ordinal ? ordinals[i] : few[i])
        }
        if num < 100 {
            let tens = Int(num / 10)
            let remainder = num.truncatingRemainder(dividingBy: 10)
            var words = (afterLarger ? " and " : "") + decades[tens - 2]
            if remainder > 0 {
                words += "-" + lookup(remainder, afterLarger: false, ordinal: ordinal)
            } else if ordinal {
                words = String(words.dropLast()) + "ieth"
            }
            return words
        }
        if num < 1000 {
            let hundreds = Int(num / 100)
            let remainder = num.truncatingRemainder(dividingBy: 100)
            var words = (afterLarger ? ", " : "") + few[hundreds] + " Hundred"
            if remainder > 0 {
                words += lookup(remainder, afterLarger: true, ordinal: ordinal)
            } else if ordinal {
                words += "th"
            }
            return words
        }
        var magnitude = Int((log10(num) / 3).rounded(.down))
        if magnitude > magnitudes.count { magnitude = magnitudes.count }
        let factor = pow(10, Double(magnitude * 3))
        let mantissa = (num / factor).rounded(.down)
        let remainder = num - mantissa * factor
        var words = (afterLarger ? ", " : "") + lookup(mantissa, afterLarger: false, ordinal: false) + " " + magnitudes[magnitude - 1]
        if remainder > 0 {
            words += lookup(remainder, afterLarger: true, ordinal: ordinal)
        } else if ordinal {
            words += "th"
        }
        return words
    }

    static let values: [String: Int] = {
        var table: [String: Int] = [:]
        for (i, word) in few.enumerated() { table[word.lowercased()] = i }
        for (i, word) in ordinals.enumerated() { table[word.lowercased()] = i }
        for (i, word) in decades.enumerated() {
            let lower = word.lowercased()
            table[lower] = (i + 2) * 10
            table[String(lower.dropLast()) + "ieth"] = (i + 2) * 10
        }
        table["hundredth"] = 100
        var value = 1
        for word in magnitudes {
            value *= 1000
            table[word.lowercased()] = value
            table[word.lowercased() + "th"] = value
        }
        return table
    }()

    static func value(_ text: String) -> Double {
        // Split at ", ", " and ", spaces and hyphens.
        let normalized = text.replacingAll(", ", with: " ").replacingAll(" and ", with: " ").replacingAll("-", with: " ")
        var segments: [Double] = [0]
        for part in normalized.split(separator: " ") {
            let v = Double(values[String(part)] ?? 0)
            if v < 100 {
                var top = segments.removeLast()
                if top >= 1000 {
                    segments.append(top)
                    top = 0
                }
                segments.append(top + v)
            } else {
                segments.append(segments.removeLast() * v)
            }
        }
        return segments.reduce(0, +)
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        Builtins.splitString(self, target, limit: nil).joined(separator: replacement)
    }
}
