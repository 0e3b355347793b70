extension Value {
    /// JSONata's `$boolean`: empty strings, zero, null, empty arrays and objects, functions and
    /// arrays of only such values are false.
    var truthiness: Bool {
        switch self {
        case .null: false
        case .bool(let b): b
        case .number(let n): n != 0
        case .string(let s): !s.isEmpty
        case .object(let o): !o.isEmpty
        case .function: false
        case .array(let a):
            if a.count == 1 { a[0].truthiness } else { a.items.contains { $0.truthiness } }
        }
    }
}

extension Value {
    /// JSONata's `isNumeric`: a number that is not NaN; an infinite one is an error (D1001),
    /// since JSON cannot hold it.
    func isNumeric() throws -> Bool {
        guard case .number(let n) = self, !n.isNaN else { return false }
        if n.isInfinite { throw JSONataError("D1001", value: self) }
        return true
    }

    /// Whether any number inside is infinite or NaN.
    var containsNonFiniteNumber: Bool {
        switch self {
        case .number(let n): !n.isFinite
        case .array(let a): a.items.contains { $0.containsNonFiniteNumber }
        case .object(let o): o.values.contains { $0.containsNonFiniteNumber }
        default: false
        }
    }
}

extension Optional where Wrapped == Value {
    /// Truthiness with undefined as false.
    var truthiness: Bool { self?.truthiness ?? false }
}
