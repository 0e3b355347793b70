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

        var (digits, exponent) = decompose(value.description)
        // Java prints at least two significant digits and, when the shortest form has one,
        // takes the two-digit decimal nearest the exact value. For normal doubles that is the
        // digit followed by 0; a subnormal can differ (5e-324 prints 4.9E-324).
        if digits.count == 1, value.isSubnormal, let two = twoSignificantDigits(value) {
            (digits, exponent) = decompose(two)
            if digits.count == 2, digits.last == "0" { digits.removeLast() }
        }
        var out = value.sign == .minus ? "-" : ""
        guard !digits.isEmpty else { return out + "0.0" }
        // |value| = 0.DIGITS × 10^exponent
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
            let rest = digits.dropFirst()
            out += digits.prefix(1) + "." + (rest.isEmpty ? "0" : rest) + "E" + String(exponent - 1)
        }
        return out
    }

    /// `value` as `N / 10^scale` with the fewest fractional digits, when it lies in Java's
    /// plain range (10⁻³ ≤ |d| < 10⁷) and such a short decimal reads back to it exactly, as
    /// prices, measurements and percentages do; nil otherwise (`javaString` then prints it).
    ///
    /// Exact, not a guess: below 2⁵⁰ the product `|d|·10^scale` is within ¼ of the one integer
    /// that can read back to `d` at that scale, so rounding finds it, and `N / 10^scale` (two
    /// exact doubles, one correctly rounded division) equals `d` only if it reads back to `d`.
    /// The first scale that works gives Java's (and Swift's) shortest digits.
    @inline(__always)
    static func shortDecimal(_ value: Double) -> (digits: UInt64, scale: Int)? {
        let magnitude = value.magnitude
        guard magnitude >= 1e-3, magnitude < 1e7 else { return nil }
        var power = 1.0
        for scale in 0...15 {
            let scaled = magnitude * power
            guard scaled < 0x1p50 else { return nil }
            // The nearest integer, in two additions rather than a call to `round` (exact below
            // 2⁵¹; which way a tie goes does not matter, as a tie never reads back to `d`).
            let rounded = (scaled + 0x1p52) - 0x1p52
            if rounded / power == magnitude { return (UInt64(rounded), scale) }
            power *= 10
        }
        return nil
    }

    /// Writes `value` as `javaString` would, straight into `sink` when it is a short decimal.
    static func write<Sink: JSONByteSink>(_ value: Double, to sink: inout Sink) {
        if value == 0 {
            // Zero is common in data and outside the plain range: "0.0", or "-0.0" as Java prints it.
            value.sign == .minus ? writeASCII("-0.0", to: &sink) : writeASCII("0.0", to: &sink)
            return
        }
        guard let (digits, scale) = shortDecimal(value) else {
            var text = javaString(value)
            text.withUTF8 { sink.write($0) }
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { buffer in
            // Right to left: the fraction (at least one digit), the point, the integer part.
            var end = 40
            var rest = digits
            if scale == 0 {
                end -= 1
                buffer[end] = UInt8(ascii: "0")
            }
            for _ in 0..<scale {
                end -= 1
                buffer[end] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            end -= 1
            buffer[end] = UInt8(ascii: ".")
            repeat {
                end -= 1
                buffer[end] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            if value.sign == .minus {
                end -= 1
                buffer[end] = UInt8(ascii: "-")
            }
            sink.write(UnsafeBufferPointer(rebasing: buffer[end..<40]))
        }
    }

    /// Splits a decimal text such as `-1.25e-7` into its significant digits (no leading or
    /// trailing zeros) and the exponent `e` with |value| = 0.digits × 10^e.
    static func decompose(_ text: String) -> (digits: String, exponent: Int) {
        var mantissa = Substring(text.drop { $0 == "-" })
        var exponent = 0
        if let e = mantissa.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(mantissa[mantissa.index(after: e)...].filter { $0 != "+" }) ?? 0
            mantissa = mantissa[..<e]
        }
        var digits = ""
        var pointPosition = 0
        var seenPoint = false
        for c in mantissa {
            if c == "." {
                seenPoint = true
            } else {
                digits.append(c)
                if !seenPoint { pointPosition += 1 }
            }
        }
        while digits.first == "0" {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        return (digits, pointPosition + exponent)
    }

    /// `%.1e` of `value`: its two most significant digits, correctly rounded by the C library.
    private static func twoSignificantDigits(_ value: Double) -> String? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buffer in
            let n = withVaList([value]) { vsnprintf(buffer.baseAddress!, 32, "%.1e", $0) }
            guard n > 0 && n < 32 else { return nil }
            return String(cString: buffer.baseAddress!)
        }
    }
}
