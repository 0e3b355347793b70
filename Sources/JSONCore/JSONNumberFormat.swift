#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Prints doubles the way AWS Step Functions does.
///
/// AWS runs on the JVM and writes JSON with Jackson, which prints a double with Java's
/// `Double.toString`: the shortest digits that read back to the same double, in plain notation
/// when 10⁻³ ≤ |d| < 10⁷ (always with a fractional part: `100.0`) and in computerized scientific
/// notation otherwise (`1.0E10`, `1.5E-5`). Integers parsed from integer literals are `.int` and
/// print without a fraction.
public enum JSONNumberFormat {
    /// Java's `Double.toString` layout of `value`, with Swift's shortest round-trip digits.
    public static func javaString(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value < 0 ? "-Infinity" : "Infinity") }
        // In Java's plain range Swift prints the same text ("12.5", "100.0", "0.001").
        let magnitude = value.magnitude
        if magnitude >= 1e-3 && magnitude < 1e7 { return value.description }
        let (negative, digits, exponent) = decompose(value)
        var out = negative ? "-" : ""
        guard !digits.isEmpty else { return out + "0.0" }
        // value = 0.DIGITS × 10^exponent
        if exponent >= -2 && exponent <= 7 {
            if exponent <= 0 {
                out += "0." + String(repeating: "0", count: -exponent) + digits
            } else if exponent >= digits.count {
                out += digits + String(repeating: "0", count: exponent - digits.count) + ".0"
            } else {
                let split = digits.index(digits.startIndex, offsetBy: exponent)
                out += digits[..<split] + "." + digits[split...]
            }
        } else {
            let first = digits.prefix(1)
            let rest = digits.dropFirst()
            out += first + "." + (rest.isEmpty ? "0" : rest) + "E" + String(exponent - 1)
        }
        return out
    }

    /// The shortest round-trip decimal digits of `value` (no leading or trailing zeros) and the
    /// exponent `e` with |value| = 0.digits × 10^e.
    static func decompose(_ value: Double) -> (negative: Bool, digits: String, exponent: Int) {
        // Java prints at least two significant digits and picks, among the shortest that read
        // back, the one nearest the exact value. For normal doubles that is the shortest digits
        // followed by 0; for subnormals with one shortest digit it can differ (5e-324 prints
        // 4.9E-324), so take the correctly rounded two-digit form from the C library.
        let shortest = value.description
        var text = Substring(shortest)
        if value.isSubnormal, let twoDigits = twoDigitSubnormal(value),
            Double(twoDigits) == value, !shortest.contains(".") || shortest.contains("e")
        {
            let significant = shortest.drop { $0 == "-" }.prefix { $0 != "e" }.filter { $0 != "." && $0 != "0" }
            if significant.count <= 1 { text = Substring(twoDigits) }
        }
        var negative = false
        if text.first == "-" {
            negative = true
            text = text.dropFirst()
        }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...].replacingOccurrences(of: "+", with: "")) ?? 0
            text = text[..<e]
        }
        var digits = ""
        var pointPosition = 0
        var seenPoint = false
        for c in text {
            if c == "." {
                seenPoint = true
            } else {
                digits.append(c)
                if !seenPoint { pointPosition += 1 }
            }
        }
        // Strip leading zeros (moving the point) and trailing zeros.
        while digits.first == "0" {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        return (negative, digits, pointPosition + exponent)
    }
}

/// `%.1e` of `value`: its two most significant digits, correctly rounded.
private func twoDigitSubnormal(_ value: Double) -> String? {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buffer in
        let n = withVaList([value]) { vsnprintf(buffer.baseAddress!, 32, "%.1e", $0) }
        guard n > 0 && n < 32 else { return nil }
        return String(cString: buffer.baseAddress!)
    }
}

extension Substring {
    fileprivate func replacingOccurrences(of target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
