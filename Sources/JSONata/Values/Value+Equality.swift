extension Value {
    /// JSONata's `=`: deep equality of JSON values; functions are equal only to themselves.
    func deepEquals(_ other: Value) -> Bool {
        switch (self, other) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a.utf16.elementsEqual(b.utf16)
        case (.array(let a), .array(let b)):
            guard a.count == b.count else { return false }
            for i in 0..<a.count where !a[i].deepEquals(b[i]) { return false }
            return true
        case (.object(let a), .object(let b)):
            if a === b { return true }
            guard a.count == b.count else { return false }
            for key in a.keys {
                guard let x = a[key], let y = b[key], x.deepEquals(y) else { return false }
            }
            return true
        case (.function(let a), .function(let b)): return a === b
        default: return false
        }
    }

    /// JavaScript's `===`, which the `in` operator uses: objects, arrays and functions only by
    /// identity.
    func strictlyEquals(_ other: Value) -> Bool {
        switch (self, other) {
        case (.object(let a), .object(let b)): return a === b
        case (.array, _), (_, .array): return false
        default: return deepEquals(other)
        }
    }
}

extension String {
    /// JavaScript's `<` on strings: UTF-16 code units in order.
    func jsPrecedes(_ other: String) -> Bool {
        utf16.lexicographicallyPrecedes(other.utf16)
    }
}
