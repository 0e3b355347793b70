import JSONCore

/// Jayway's path functions (`$.items.length()`, `$.prices.sum()`, ...).
enum PathFunctions {
    static func invoke(_ name: String, on model: JSONValue, arguments: [FunctionArgument], root: JSONValue) throws(JSONPathError) -> JSONValue {
        var extra: [JSONValue] = []
        for argument in arguments {
            switch argument {
            case .literal(let v): extra.append(v)
            case .path(let p): extra.append(try p.evaluate(p.rootIsCurrent ? model : root, root: root))
            }
        }
        switch name {
        case "length", "size":
            switch model {
            case .array(let a): return .int(Int64(a.count))
            case .object(let o): return .int(Int64(o.count))
            case .string(let s): return .int(Int64(s.utf16.count))
            default: return .null
            }
        case "min", "max", "sum", "avg", "stddev":
            var numbers: [Double] = []
            if case .array(let a) = model { numbers += a.compactMap(\.doubleValue) }
            for e in extra {
                if case .array(let a) = e { numbers += a.compactMap(\.doubleValue) } else if let d = e.doubleValue { numbers.append(d) }
            }
            guard !numbers.isEmpty else {
                throw JSONPathError(.evaluationFailed, "Aggregation function attempted to calculate value using empty array")
            }
            switch name {
            case "min": return .double(numbers.min()!)
            case "max": return .double(numbers.max()!)
            case "sum": return .double(numbers.reduce(0, +))
            case "avg": return .double(numbers.reduce(0, +) / Double(numbers.count))
            default:
                let mean = numbers.reduce(0, +) / Double(numbers.count)
                let variance = numbers.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(numbers.count)
                return .double(variance.squareRoot())
            }
        case "keys":
            guard case .object(let o) = model else { return .null }
            return .array(o.keys.map(JSONValue.string))
        case "first", "last":
            guard case .array(let a) = model, !a.isEmpty else {
                throw JSONPathError(.evaluationFailed, "Function \(name) requires a non-empty array")
            }
            return name == "first" ? a[0] : a[a.count - 1]
        case "index":
            guard case .array(let a) = model, let i = extra.first?.integerValue else {
                throw JSONPathError(.evaluationFailed, "Function index requires an array and an integer argument")
            }
            let effective = i < 0 ? a.count + Int(i) : Int(i)
            guard a.indices.contains(effective) else {
                throw JSONPathError(.evaluationFailed, "Function index: index \(i) out of range")
            }
            return a[effective]
        case "concat":
            var text = ""
            if case .array(let a) = model { for e in a { if case .string(let s) = e { text += s } else if e.isNumber { text += e.compactString } } }
            for e in extra { if case .string(let s) = e { text += s } else { text += e.compactString } }
            return .string(text)
        case "append":
            guard case .array(var a) = model else { return model }
            a.append(contentsOf: extra)
            return .array(a)
        default:
            throw .invalid("Function with name: \(name) does not exist.")
        }
    }
}
