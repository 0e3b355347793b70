import Foundation

extension Builtins {
    static func registerNumbers(into t: inout [String: NativeFunction]) {
        define(&t, "number", "<(nsb)-:n>", arity: 1) { call in
            guard let value = call[0] else { return nil }
            switch value {
            case .number: return value
            case .bool(let b): return .number(b ? 1 : 0)
            case .string(let s):
                if let n = parseNumber(s) { return .number(n) }
                throw JSONataError("D3030", value: value)
            default:
                throw JSONataError("D3030", value: value)
            }
        }
        define(&t, "abs", "<n-:n>", arity: 1) { call in call.number(0).map { .number(abs($0)) } }
        define(&t, "floor", "<n-:n>", arity: 1) { call in call.number(0).map { .number(($0.rounded(.down)) + 0) } }
        define(&t, "ceil", "<n-:n>", arity: 1) { call in call.number(0).map { .number($0.rounded(.up) + 0) } }
        define(&t, "round", "<n-n?:n>", arity: 2) { call in
            call.number(0).map { .number(round($0, precision: call.number(1).map { Int($0.clamped) } ?? 0)) }
        }
        define(&t, "sqrt", "<n-:n>", arity: 1) { call in
            guard let n = call.number(0) else { return nil }
            if n < 0 { throw JSONataError("D3060", value: .number(n)) }
            return .number(n.squareRoot())
        }
        define(&t, "power", "<n-n:n>", arity: 2) { call in
            guard let base = call.number(0), let exponent = call.number(1) else { return nil }
            let result = pow(base, exponent)
            if !result.isFinite {
                var error = JSONataError("D3061", value: .number(base))
                error.exponent = NumberText.javaScript(exponent)
                error.render()
                throw error
            }
            return .number(result)
        }
        define(&t, "sum", "<a<n>:n>", arity: 1) { call in
            guard let items = call.items(0) else { return nil }
            return .number(items.reduce(0) { $0 + ($1.numberValue ?? 0) })
        }
        define(&t, "max", "<a<n>:n>", arity: 1) { call in
            guard let items = call.items(0), !items.isEmpty else { return nil }
            return .number(items.compactMap(\.numberValue).reduce(-Double.infinity) { Swift.max($0, $1) })
        }
        define(&t, "min", "<a<n>:n>", arity: 1) { call in
            guard let items = call.items(0), !items.isEmpty else { return nil }
            return .number(items.compactMap(\.numberValue).reduce(Double.infinity) { Swift.min($0, $1) })
        }
        define(&t, "average", "<a<n>:n>", arity: 1) { call in
            guard let items = call.items(0), !items.isEmpty else { return nil }
            return .number(items.reduce(0) { $0 + ($1.numberValue ?? 0) } / Double(items.count))
        }
        define(&t, "formatBase", "<n-n?:s>", arity: 2) { call in
            guard let n = call.number(0) else { return nil }
            let value = round(n, precision: 0)
            let radix = call.number(1).map { Int($0.clamped) } ?? 10
            if radix < 2 || radix > 36 { throw JSONataError("D3100", value: .number(Double(radix))) }
            let magnitude = String(UInt64(abs(value).clamped), radix: radix)
            return .string(value < 0 ? "-" + magnitude : magnitude)
        }
    }

    /// `$number` of a string: JSON-style decimals, and 0x/0o/0b integers.
    static func parseNumber(_ s: String) -> Double? {
        let scalars = Array(s.unicodeScalars)
        var i = 0
        func digits(_ allowed: (Unicode.Scalar) -> Bool) -> Int {
            let start = i
            while i < scalars.count, allowed(scalars[i]) { i += 1 }
            return i - start
        }
        let decimal: (Unicode.Scalar) -> Bool = { $0 >= "0" && $0 <= "9" }
        if scalars.count > 2, scalars[0] == "0" {
            let radix: Int? =
                switch scalars[1] {
                case "x", "X": 16
                case "o", "O": 8
                case "b", "B": 2
                default: nil
                }
            if let radix, let value = UInt64(String(String.UnicodeScalarView(scalars[2...])), radix: radix) {
                return Double(value)
            }
        }
        if i < scalars.count, scalars[i] == "-" { i += 1 }
        guard digits(decimal) > 0 else { return nil }
        if i < scalars.count, scalars[i] == "." {
            i += 1
            guard digits(decimal) > 0 else { return nil }
        }
        if i < scalars.count, scalars[i] == "e" || scalars[i] == "E" {
            i += 1
            if i < scalars.count, scalars[i] == "+" || scalars[i] == "-" { i += 1 }
            guard digits(decimal) > 0 else { return nil }
        }
        guard i == scalars.count, let value = Double(s), value.isFinite else { return nil }
        return value
    }

    /// `$round`: half to even, at `precision` decimal places (negative: tens, hundreds...),
    /// shifting by decimal exponent as JSONata does to avoid binary error.
    static func round(_ value: Double, precision: Int) -> Double {
        func shifted(_ v: Double, by places: Int) -> Double {
            let text = NumberText.javaScript(v)
            if let e = text.firstIndex(of: "e") {
                let exponent = Int(text[text.index(after: e)...])! + places
                return Double(String(text[..<e]) + "e" + String(exponent)) ?? v
            }
            return Double(text + "e" + String(places)) ?? v
        }
        var v = value
        if precision != 0 { v = shifted(v, by: precision) }
        var result = (v + 0.5).rounded(.down)
        if abs(result - v) == 0.5, abs(result.truncatingRemainder(dividingBy: 2)) == 1 { result -= 1 }
        if precision != 0 { result = shifted(result, by: -precision) }
        return result == 0 ? 0 : result
    }
}
