import Foundation

/// Numbers as JavaScript writes them (`Number.prototype.toString`), which JSONata's string
/// conversions follow.
enum NumberText {
    /// The shortest digits that read back as `value` and the decimal exponent: value =
    /// 0.d1d2d3… × 10^exponent.
    static func shortestDigits(_ value: Double) -> (digits: [UInt8], exponent: Int) {
        // Swift's description is the shortest round-trip form, as "123.45", "1e-07" or "1.5e+20".
        let text = abs(value).description
        var digits: [UInt8] = []
        var exponent = 0
        var mantissa = Substring(text)
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...])!
            mantissa = text[..<e]
        }
        var pointSeen = false
        var integerDigits = 0
        for ch in mantissa.utf8 {
            if ch == UInt8(ascii: ".") {
                pointSeen = true
                continue
            }
            digits.append(ch - 48)
            if !pointSeen { integerDigits += 1 }
        }
        exponent += integerDigits
        while let first = digits.first, first == 0, digits.count > 1 {
            digits.removeFirst()
            exponent -= 1
        }
        while let last = digits.last, last == 0, digits.count > 1 { digits.removeLast() }
        if digits == [0] { exponent = 1 }
        return (digits, exponent)
    }

    /// `String(value)` in JavaScript.
    static func javaScript(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        if value == 0 { return "0" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        let (digits, n) = shortestDigits(value)
        let k = digits.count
        var out = value < 0 ? "-" : ""
        let chars = digits.map { Character(Unicode.Scalar($0 + 48)) }
        if k <= n && n <= 21 {
            out.append(contentsOf: chars)
            out.append(String(repeating: "0", count: n - k))
        } else if 0 < n && n <= 21 {
            out.append(contentsOf: chars[0..<n])
            out.append(".")
            out.append(contentsOf: chars[n...])
        } else if -6 < n && n <= 0 {
            out.append("0.")
            out.append(String(repeating: "0", count: -n))
            out.append(contentsOf: chars)
        } else {
            out.append(chars[0])
            if k > 1 {
                out.append(".")
                out.append(contentsOf: chars[1...])
            }
            out.append("e")
            out.append(n - 1 >= 0 ? "+" : "-")
            out.append(String(abs(n - 1)))
        }
        return out
    }

    /// `Number(value.toPrecision(15))`: the value rounded to 15 significant digits, as JSONata's
    /// `$string` does before printing, to hide binary noise such as 0.1 + 0.2.
    static func roundedTo15(_ value: Double) -> Double {
        guard value.isFinite, value != 0 else { return value }
        // Integers below 10^15 have at most 15 significant digits already.
        if value == value.rounded(), abs(value) < 1e15 { return value }
        return Double(String(format: "%.14e", value)) ?? value
    }
}
