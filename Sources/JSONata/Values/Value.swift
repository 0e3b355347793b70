import JSONCore

/// A JSONata value: JSON plus functions, with the bookkeeping JSONata keeps on arrays.
///
/// `undefined` (no value) is `nil` in a `Value?`; a `Value` is always something.
enum Value {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array(ValueArray)
    case object(ValueObject)
    case function(FunctionValue)
}

/// An array and what JSONata knows about where it came from: a sequence is the result of a
/// path and collapses to its single item; a constructed array (`[...]`) is never flattened into
/// the path around it; `keepSingleton` is the `[]` suffix's "keep this an array".
struct ValueArray {
    var items: [Value]
    var isSequence = false
    var keepSingleton = false
    var isConstructed = false
    var outerWrapper = false
    /// Set when this is a tuple stream (a path with `@`, `#` or parent references, evaluated
    /// for the path around it); `items` is then empty.
    var tuples: [Tuple]?

    init(_ items: [Value] = [], sequence: Bool = false) {
        self.items = items
        self.isSequence = sequence
    }

    static func sequence(_ items: [Value] = []) -> ValueArray { ValueArray(items, sequence: true) }

    var count: Int { items.count }
    var isEmpty: Bool { items.isEmpty }
    subscript(i: Int) -> Value { items[i] }
    mutating func append(_ v: Value) { items.append(v) }
}

/// A JSON object with JSONata's reference semantics (the transform operator updates matched
/// objects of its copy in place) and insertion order.
///
/// Keys and values are kept side by side; small objects are searched linearly (faster than
/// hashing a key), larger ones through an index built when first needed.
final class ValueObject {
    @exclusivity(unchecked) private(set) var keys: [String]
    @exclusivity(unchecked) private(set) var values: [Value]
    @exclusivity(unchecked) private var index: [String: Int]?

    static let indexThreshold = 12

    init() {
        keys = []
        values = []
    }

    init(capacity: Int) {
        keys = []
        values = []
        keys.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
    }

    /// Adds a member whose key the caller knows is not there yet.
    func appendNew(_ key: String, _ value: Value) {
        keys.append(key)
        values.append(value)
        if index != nil { index![key] = keys.count - 1 }
    }

    init(keys: [String], values: [Value]) {
        self.keys = keys
        self.values = values
    }

    var count: Int { keys.count }
    var isEmpty: Bool { keys.isEmpty }

    private func position(of key: String) -> Int? {
        if keys.count <= Self.indexThreshold {
            for i in keys.indices where keys[i] == key { return i }
            return nil
        }
        if index == nil {
            var built = [String: Int](minimumCapacity: keys.count)
            for (i, k) in keys.enumerated() { built[k] = i }
            index = built
        }
        return index![key]
    }

    subscript(key: String) -> Value? {
        get { position(of: key).map { values[$0] } }
        set {
            if let at = position(of: key) {
                if let newValue {
                    values[at] = newValue
                } else {
                    keys.remove(at: at)
                    values.remove(at: at)
                    index = nil
                }
            } else if let newValue {
                keys.append(key)
                values.append(newValue)
                if index != nil { index![key] = keys.count - 1 }
            }
        }
    }

    var entries: Zip2Sequence<[String], [Value]> { zip(keys, values) }

    func copy() -> ValueObject { ValueObject(keys: keys, values: values) }
}

extension Value {
    static func array(_ items: [Value]) -> Value { .array(ValueArray(items)) }
    static func sequence(_ items: [Value]) -> Value { .array(ValueArray(items, sequence: true)) }

    var isArray: Bool { if case .array = self { true } else { false } }
    var isFunction: Bool { if case .function = self { true } else { false } }
    var isNumber: Bool { if case .number = self { true } else { false } }
    var isString: Bool { if case .string = self { true } else { false } }

    var arrayValue: ValueArray? { if case .array(let a) = self { a } else { nil } }
    var numberValue: Double? { if case .number(let n) = self { n } else { nil } }
    var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    var objectValue: ValueObject? { if case .object(let o) = self { o } else { nil } }
    var functionValue: FunctionValue? { if case .function(let f) = self { f } else { nil } }

    var isSequence: Bool { if case .array(let a) = self { a.isSequence } else { false } }

    /// The items when this is an array, else the value alone.
    var asItems: [Value] { if case .array(let a) = self { a.items } else { [self] } }

    /// The letter JSONata's function signatures use for this value's type.
    var signatureSymbol: Character {
        switch self {
        case .null: "l"
        case .bool: "b"
        case .number: "n"
        case .string: "s"
        case .array: "a"
        case .object: "o"
        case .function: "f"
        }
    }

    /// The type name `$type` reports.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        case .function: "function"
        }
    }
}

// MARK: - Conversion to and from JSONCore

extension Value {
    init(_ json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .number(Double(i))
        case .double(let d): self = .number(d)
        case .string(let s): self = .string(s)
        case .array(let items): self = .array(ValueArray(items.map(Value.init)))
        case .object(let object):
            // JSONObject's keys are distinct already.
            self = .object(ValueObject(keys: object.members.map(\.key), values: object.members.map { Value($0.value) }))
        }
    }

    /// The JSON form of a result. Functions have none: inside arrays and objects they are left
    /// out (as JSON.stringify leaves them out); a function alone is `nil`.
    var json: JSONValue? {
        switch self {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let d): return JSONValue.number(d)
        case .string(let s): return .string(s)
        case .array(let a): return .array(a.items.compactMap { $0.json })
        case .object(let o):
            var members: [JSONObject.Member] = []
            members.reserveCapacity(o.count)
            for (key, value) in o.entries {
                if let json = value.json { members.append(JSONObject.Member(key: key, value: json)) }
            }
            return .object(JSONObject(distinctMembers: members))
        case .function: return nil
        }
    }
}

extension JSONValue {
    /// A JSONata number as JSON: an integer when it is one that a double holds exactly.
    static func number(_ d: Double) -> JSONValue {
        if d == d.rounded(), abs(d) < 9_007_199_254_740_992 { return .int(Int64(d)) }
        return .double(d)
    }
}
