/// JSON text as JavaScript's `JSON.stringify` writes it, which JSONata uses for `$string` and
/// for the values in its error messages.
enum JSONText {
    /// `JSON.stringify(value)`; with `forString`, JSONata's `$string` replacer (numbers to 15
    /// significant digits, functions as `""`); with `pretty`, two-space indentation.
    static func stringify(_ value: Value) -> String {
        var out = ""
        write(value, to: &out, forString: false, indent: nil, depth: 0)
        return out
    }

    static func stringify(_ value: Value, forString: Bool, pretty: Bool) -> String {
        var out = ""
        write(value, to: &out, forString: forString, indent: pretty ? "  " : nil, depth: 0)
        return out
    }

    private static func write(_ value: Value, to out: inout String, forString: Bool, indent: String?, depth: Int) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let d):
            if !d.isFinite {
                out += "null"
            } else {
                out += NumberText.javaScript(forString ? NumberText.roundedTo15(d) : d)
            }
        case .string(let s): out += quote(s)
        case .function: out += forString ? "\"\"" : "{}"
        case .array(let a):
            if a.isEmpty {
                out += "[]"
                return
            }
            out += "["
            for (i, item) in a.items.enumerated() {
                if i > 0 { out += "," }
                newline(&out, indent, depth + 1)
                write(item, to: &out, forString: forString, indent: indent, depth: depth + 1)
            }
            newline(&out, indent, depth)
            out += "]"
        case .object(let o):
            if o.isEmpty {
                out += "{}"
                return
            }
            out += "{"
            for (i, (key, item)) in o.entries.enumerated() {
                if i > 0 { out += "," }
                newline(&out, indent, depth + 1)
                out += quote(key)
                out += indent == nil ? ":" : ": "
                write(item, to: &out, forString: forString, indent: indent, depth: depth + 1)
            }
            newline(&out, indent, depth)
            out += "}"
        }
    }

    private static func newline(_ out: inout String, _ indent: String?, _ depth: Int) {
        guard let indent else { return }
        out += "\n"
        for _ in 0..<depth { out += indent }
    }

    /// A JSON string literal, escaped as `JSON.stringify` escapes it.
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
        return out
    }
}
