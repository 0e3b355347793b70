import JSONCore

/// A filter operand's value at evaluation time (Jayway's `ValueNode`s).
enum FilterValue {
    case undefined
    case string(String)
    case number(JSONValue)
    case bool(Bool)
    case null
    /// An array or object, from a path or a JSON literal.
    case json(JSONValue)
    case pattern(FilterPattern)

    init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int, .double: self = .number(value)
        case .string(let s): self = .string(s)
        case .array, .object: self = .json(value)
        }
    }

    /// Jayway's `asStringNode`: a number reads as its decimal text.
    var stringForm: String? {
        switch self {
        case .string(let s): s
        case .number(let n): javaDecimalString(n)
        default: nil
        }
    }

    /// Jayway's `asNumberNode`: a string converts when it reads as a decimal.
    var numberForm: JSONValue? {
        switch self {
        case .number(let n): n
        case .string(let s): FilterCompiler.parseDecimal(s)
        default: nil
        }
    }
}

/// `BigDecimal.toString` of a number, for comparing a number with a string.
private func javaDecimalString(_ value: JSONValue) -> String {
    switch value {
    case .int(let i): String(i)
    case .double(let d):
        if let i = Int64(exactly: d), abs(d) < 1e15 { String(i) } else { JSONNumberFormat.javaString(d) }
    default: value.compactString
    }
}

/// Evaluates a compiled filter against one item, after Jayway's evaluators.
struct FilterEvaluation {
    let root: JSONValue

    func evaluate(_ expression: FilterExpression, item: JSONValue) throws(JSONPathError) -> Bool {
        switch expression {
        case .or(let operands):
            for operand in operands where try evaluate(operand, item: item) { return true }
            return false
        case .and(let operands):
            for operand in operands where try !evaluate(operand, item: item) { return false }
            return true
        case .not(let operand):
            return try !evaluate(operand, item: item)
        case .relation(let left, let op, let right):
            let l = try resolve(left, item: item)
            let r = try resolve(right, item: item)
            return try apply(op, l, r)
        }
    }

    private func resolve(_ operand: FilterOperand, item: JSONValue) throws(JSONPathError) -> FilterValue {
        switch operand {
        case .path(let path, let existenceCheck):
            let document = path.rootIsCurrent ? item : root
            if existenceCheck {
                do {
                    _ = try path.evaluate(document, root: root, requireProperties: true)
                    return .bool(true)
                } catch where error.kind == .pathNotFound {
                    return .bool(false)
                }
            }
            do {
                return FilterValue(try path.evaluate(document, root: root))
            } catch where error.kind == .pathNotFound {
                return .undefined
            }
        case .string(let s): return .string(s)
        case .number(let n): return .number(n)
        case .bool(let b): return .bool(b)
        case .null: return .null
        case .json(let j): return .json(j)
        case .pattern(let p): return .pattern(p)
        }
    }

    private func apply(_ op: RelationalOperator, _ left: FilterValue, _ right: FilterValue) throws(JSONPathError) -> Bool {
        switch op {
        case .exists:
            guard case .bool(let l) = left, case .bool(let r) = right else {
                throw JSONPathError(.evaluationFailed, "Failed to evaluate exists expression")
            }
            return l == r
        case .equal: return equals(left, right)
        case .notEqual: return !equals(left, right)
        case .typeSafeEqual: return typeSafeEquals(left, right)
        case .typeSafeNotEqual: return !typeSafeEquals(left, right)
        case .lessThan: return compare(left, right).map { $0 < 0 } ?? false
        case .lessThanOrEqual: return compare(left, right).map { $0 <= 0 } ?? false
        case .greaterThan: return compare(left, right).map { $0 > 0 } ?? false
        case .greaterThanOrEqual: return compare(left, right).map { $0 >= 0 } ?? false
        case .regex: return regexMatches(left, right)
        case .in:
            guard let list = valueList(right) else { return false }
            return list.contains { equals(left, $0) }
        case .notIn:
            guard let list = valueList(right) else { return true }
            return !list.contains { equals(left, $0) }
        case .contains:
            if case .string(let l) = left, case .string(let r) = right { return l.contains(r) }
            guard let list = valueList(left) else { return false }
            return list.contains { equals($0, right) }
        case .subsetOf:
            guard let l = valueList(left), let r = valueList(right) else { return false }
            return l.allSatisfy { element in r.contains { equals(element, $0) } }
        case .anyOf:
            guard let l = valueList(left), let r = valueList(right) else { return false }
            return l.contains { element in r.contains { equals(element, $0) } }
        case .noneOf:
            guard let l = valueList(left), let r = valueList(right) else { return false }
            return !l.contains { element in r.contains { equals(element, $0) } }
        case .size:
            guard case .number(let n) = right, let expected = n.doubleValue.map({ Int($0) }) else { return false }
            switch left {
            case .string(let s): return s.utf16.count == expected
            case .json(.array(let a)): return a.count == expected
            case .json(.object(let o)): return o.count == expected
            default: return false
            }
        case .empty:
            guard case .bool(let wanted) = right else { return false }
            switch left {
            case .string(let s): return s.isEmpty == wanted
            case .json(.array(let a)): return a.isEmpty == wanted
            case .json(.object(let o)): return o.isEmpty == wanted
            default: return false
            }
        }
    }

    /// Jayway's `ValueNode.equals`: strings and numbers compare across types by value.
    private func equals(_ left: FilterValue, _ right: FilterValue) -> Bool {
        switch (left, right) {
                case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.json(let a), .json(let b)): return a == b
        case (.string(let a), .string(let b)): return a.isExactlyEqual(to: b)
        case (.string(let a), .number): return right.stringForm.map { a.isExactlyEqual(to: $0) } ?? false
        case (.number(let a), .number(let b)): return numericCompare(a, b) == 0
        case (.number(let a), .string):
            guard let b = right.numberForm else { return false }
            return numericCompare(a, b) == 0
        case (.pattern(let a), .pattern(let b)): return a.source == b.source && a.flags == b.flags
        default: return false
        }
    }

    private func typeSafeEquals(_ left: FilterValue, _ right: FilterValue) -> Bool {
        switch (left, right) {
        case (.string, .number), (.number, .string): return false
        default: return equals(left, right)
        }
    }

    private func compare(_ left: FilterValue, _ right: FilterValue) -> Int? {
        switch (left, right) {
        case (.number(let a), .number(let b)): return numericCompare(a, b)
        case (.string(let a), .string(let b)):
            // Java compares strings by UTF-16 code units.
            if a.isExactlyEqual(to: b) { return 0 }
            return a.utf16.lexicographicallyPrecedes(b.utf16) ? -1 : 1
        default: return nil
        }
    }

    private func regexMatches(_ left: FilterValue, _ right: FilterValue) -> Bool {
        let pattern: FilterPattern
        let other: FilterValue
        switch (left, right) {
        case (.pattern, .pattern): return false
        case (.pattern(let p), let o): pattern = p; other = o
        case (let o, .pattern(let p)): pattern = p; other = o
        default: return false
        }
        if case .json(.array(let elements)) = other {
            return elements.contains { pattern.matches(regexInput(FilterValue($0))) }
        }
        return pattern.matches(regexInput(other))
    }

    private func regexInput(_ value: FilterValue) -> String {
        switch value {
        case .string, .number: value.stringForm ?? ""
        case .bool(let b): b ? "true" : "false"
        default: ""
        }
    }

    private func valueList(_ value: FilterValue) -> [FilterValue]? {
        guard case .json(.array(let elements)) = value else { return nil }
        return elements.map(FilterValue.init)
    }
}

/// Orders two JSON numbers by value (integers exactly).
func numericCompare(_ a: JSONValue, _ b: JSONValue) -> Int {
    if case .int(let x) = a, case .int(let y) = b { return x < y ? -1 : (x > y ? 1 : 0) }
    let x = a.doubleValue ?? .nan, y = b.doubleValue ?? .nan
    return x < y ? -1 : (x > y ? 1 : 0)
}
