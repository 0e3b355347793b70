import JSONCore

/// JSON text as Python's `json.dumps` writes it by default (`", "` and `": "` separators,
/// non-ASCII escaped): the form of the Lambda error causes AWS records for function ARN tasks.
enum PythonJSON {
    static func dumps(_ value: JSONValue) -> String {
        var text = ""
        write(value, to: &text)
        return text
    }

    private static func write(_ value: JSONValue, to text: inout String) {
        switch value {
        case .object(let object):
            text += "{"
            for (index, member) in object.members.enumerated() {
                if index > 0 { text += ", " }
                writeString(member.key, to: &text)
                text += ": "
                write(member.value, to: &text)
            }
            text += "}"
        case .array(let items):
            text += "["
            for (index, item) in items.enumerated() {
                if index > 0 { text += ", " }
                write(item, to: &text)
            }
            text += "]"
        case .string(let string):
            writeString(string, to: &text)
        default:
            text += value.compactString
        }
    }

    private static func writeString(_ string: String, to text: inout String) {
        text += "\""
        for unit in string.utf16 {
            switch unit {
            case 0x22: text += "\\\""
            case 0x5C: text += "\\\\"
            case 0x0A: text += "\\n"
            case 0x0D: text += "\\r"
            case 0x09: text += "\\t"
            case 0x08: text += "\\b"
            case 0x0C: text += "\\f"
            case 0x20..<0x7F: text.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default:
                let hex = String(unit, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        text += "\""
    }
}
