import JSONCore

/// Reads the fields of one JSON object of a definition, recording type problems with their
/// JSON Pointer and remembering which fields were looked at.
struct FieldReader {
    let object: JSONObject
    let path: String

    init?(_ value: JSONValue, at path: String, _ what: String, _ diagnostics: inout Diagnostics) {
        guard case .object(let object) = value else {
            diagnostics.add(path, "\(what) must be a JSON object, but is \(value.typeName)")
            return nil
        }
        self.object = object
        self.path = path
    }

    func has(_ key: String) -> Bool { object.contains(key) }
    subscript(key: String) -> JSONValue? { object[key] }
    func at(_ key: String) -> String { pointer(path, key) }

    func string(_ key: String, _ d: inout Diagnostics) -> String? {
        guard let value = object[key] else { return nil }
        guard case .string(let s) = value else {
            d.add(at(key), "The field '\(key)' must be a string, but is \(value.typeName)")
            return nil
        }
        return s
    }

    func bool(_ key: String, _ d: inout Diagnostics) -> Bool? {
        guard let value = object[key] else { return nil }
        guard case .bool(let b) = value else {
            d.add(at(key), "The field '\(key)' must be a boolean, but is \(value.typeName)")
            return nil
        }
        return b
    }

    /// An integer within `range`.
    func integer(_ key: String, _ range: ClosedRange<Int>, _ d: inout Diagnostics) -> Int? {
        guard let value = object[key] else { return nil }
        guard let n = value.integerValue else {
            d.add(at(key), "The field '\(key)' must be an integer, but is \(value.compactString)")
            return nil
        }
        guard n >= range.lowerBound && n <= range.upperBound else {
            d.add(at(key), "The field '\(key)' must be between \(range.lowerBound) and \(range.upperBound), but is \(n)")
            return nil
        }
        return Int(n)
    }

    func number(_ key: String, _ d: inout Diagnostics) -> Double? {
        guard let value = object[key] else { return nil }
        guard let n = value.doubleValue else {
            d.add(at(key), "The field '\(key)' must be a number, but is \(value.typeName)")
            return nil
        }
        return n
    }

    /// Reports the fields not in `allowed`.
    func rejectUnknown(_ allowed: Set<String>, _ what: String, _ d: inout Diagnostics) {
        for key in object.keys where !allowed.contains(key) {
            d.add(at(key), "The field '\(key)' is not supported in \(what)")
        }
    }

    /// Reports when more than one of `keys` is present.
    func atMostOne(of keys: [String], _ d: inout Diagnostics) {
        let present = keys.filter(has)
        if present.count > 1 {
            d.add(path, "A state may have only one of [\(keys.joined(separator: ", "))], but has \(present.joined(separator: " and "))")
        }
    }
}
