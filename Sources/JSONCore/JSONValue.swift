/// A JSON value as Step Functions sees it.
///
/// Object members keep their input order (AWS prints them back in that order). Integers that fit
/// in 64 bits are held exactly; every other number is a `Double`, printed back the way AWS's
/// Java runtime prints it (see `JSONNumberFormat`).
///
/// Equality is JSON equality: object member order does not matter and numbers compare by value,
/// so `1` equals `1.0`.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

extension JSONValue {
    /// The JSON type name used in AWS's messages (`"object"`, `"array"`, `"string"`, `"number"`,
    /// `"boolean"`, `"null"`).
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .int, .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    public var isNull: Bool { if case .null = self { true } else { false } }
    public var isNumber: Bool {
        switch self {
        case .int, .double: true
        default: false
        }
    }

    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var objectValue: JSONObject? { if case .object(let o) = self { o } else { nil } }

    /// The number as a `Double` (integers convert, possibly rounding past 2^53).
    public var doubleValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    /// The number as an exact integer: an `.int`, or a `.double` with no fractional part that
    /// fits in 64 bits.
    public var integerValue: Int64? {
        switch self {
        case .int(let i): i
        case .double(let d): Int64(exactly: d)
        default: nil
        }
    }

    /// The member named `key` when this is an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { o[key] } else { nil }
    }

    /// The element at `index` when this is an array and the index is in range.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let a) = self, a.indices.contains(index) else { return nil }
        return a[index]
    }
}

extension JSONValue {
    /// Whether both are the same array or object in memory — one a copy of the other, neither
    /// changed since — and so equal without looking inside. False for scalars.
    public func sharesStorage(with other: JSONValue) -> Bool {
        switch (self, other) {
        case (.array(let a), .array(let b)): a.sharesStorage(with: b)
        case (.object(let a), .object(let b)): a.members.sharesStorage(with: b.members)
        default: false
        }
    }
}

extension Array {
    fileprivate func sharesStorage(with other: [Element]) -> Bool {
        withUnsafeBufferPointer { mine in other.withUnsafeBufferPointer { mine.baseAddress == $0.baseAddress && mine.count == $0.count } }
    }
}

extension JSONValue: Equatable {
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.double(let a), .double(let b)): a == b
        case (.int(let a), .double(let b)), (.double(let b), .int(let a)): Int64(exactly: b) == a
        case (.string(let a), .string(let b)): a.isExactlyEqual(to: b)
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a == b
        default: false
        }
    }
}

extension JSONValue: Hashable {
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(b)
        // Equal numbers must hash alike whatever their representation.
        case .int(let i): hasher.combine(Double(i))
        case .double(let d): hasher.combine(d)
        case .string(let s): hasher.combine(ExactKey(string: s))
        case .array(let a): hasher.combine(a)
        case .object(let o): hasher.combine(o)
        }
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var object = JSONObject()
        for (key, value) in elements { object[key] = value }
        self = .object(object)
    }
}

extension JSONValue: CustomStringConvertible {
    /// The compact JSON text.
    public var description: String { compactString }
}

extension JSONValue {
    /// Whether the two print the same text: the same structure, member order, number
    /// representations (`1` is not `1.0`, `0.0` is not `-0.0`) and strings, where `==` compares
    /// JSON values (numbers by value, objects whatever their order).
    public func printsIdentically(to other: JSONValue) -> Bool {
        switch (self, other) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.double(let a), .double(let b)): return a.bitPattern == b.bitPattern
        case (.string(let a), .string(let b)): return a.isExactlyEqual(to: b)
        case (.array(let a), .array(let b)):
            guard a.count == b.count else { return false }
            if sharesStorage(with: other) { return true }
            for index in a.indices where !a[index].printsIdentically(to: b[index]) { return false }
            return true
        case (.object(let a), .object(let b)):
            guard a.members.count == b.members.count else { return false }
            if sharesStorage(with: other) { return true }
            for (x, y) in zip(a.members, b.members) where !x.key.isExactlyEqual(to: y.key) || !x.value.printsIdentically(to: y.value) { return false }
            return true
        default: return false
        }
    }
}
