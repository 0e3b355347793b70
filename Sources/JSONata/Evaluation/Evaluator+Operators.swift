extension Evaluator {
    func evaluateBinary(_ expr: Node, _ input: Value?, _ env: Environment) throws -> Value? {
        guard let op = expr.binaryOperator else { return nil }
        let lhs = try operand(expr.lhs!, input, env)
        if op == .and || op == .or {
            let left = lhs.truthiness
            if op == .and { return .bool(left ? try operand(expr.rhs!, input, env).truthiness : false) }
            return .bool(left ? true : try operand(expr.rhs!, input, env).truthiness)
        }
        let rhs = try operand(expr.rhs!, input, env)
        do {
            switch op {
            case .plus, .minus, .times, .divide, .modulo: return try Self.arithmetic(lhs, rhs, op)
            case .equal: return (lhs == nil || rhs == nil) ? .bool(false) : .bool(lhs!.deepEquals(rhs!))
            case .notEqual: return (lhs == nil || rhs == nil) ? .bool(false) : .bool(!lhs!.deepEquals(rhs!))
            case .less, .lessOrEqual, .greater, .greaterOrEqual: return try Self.compare(lhs, rhs, op)
            case .concatenate:
                let (left, right) = (try Self.concatenationText(lhs), try Self.concatenationText(rhs))
                let length = left.utf8.count + right.utf8.count
                if length > JSONataError.maximumStringLength { throw JSONataError.stringTooLong(length) }
                return .string(left + right)
            case .range: return try Self.range(lhs, rhs)
            case .in:
                guard let lhs, let rhs else { return .bool(false) }
                return .bool(rhs.asItems.contains { $0.strictlyEquals(lhs) })
            case .and, .or: return nil
            }
        } catch let error as JSONataError {
            throw error.located(at: expr.position, token: expr.op)
        }
    }

    static func arithmetic(_ lhs: Value?, _ rhs: Value?, _ op: Node.BinaryOperator) throws -> Value? {
        if let lhs, try !lhs.isNumeric() { throw JSONataError("T2001", value: lhs) }
        if let rhs, try !rhs.isNumeric() { throw JSONataError("T2002", value: rhs) }
        guard case .number(let a)? = lhs, case .number(let b)? = rhs else { return nil }
        let result: Double =
            switch op {
            case .plus: a + b
            case .minus: a - b
            case .times: a * b
            case .divide: a / b
            default: a.truncatingRemainder(dividingBy: b)
            }
        return .number(result)
    }

    static func compare(_ lhs: Value?, _ rhs: Value?, _ op: Node.BinaryOperator) throws -> Value? {
        let comparable: (Value?) -> Bool = { v in v == nil || v!.isNumber || v!.isString }
        guard comparable(lhs), comparable(rhs) else {
            let offending = (lhs.map { $0.isNumber || $0.isString } ?? false) ? rhs : lhs
            throw JSONataError("T2010", value: offending)
        }
        guard let lhs, let rhs else { return nil }
        switch (lhs, rhs) {
        case (.number(let a), .number(let b)):
            switch op {
            case .less: return .bool(a < b)
            case .lessOrEqual: return .bool(a <= b)
            case .greater: return .bool(a > b)
            default: return .bool(a >= b)
            }
        case (.string(let a), .string(let b)):
            let less = a.jsPrecedes(b)
            let equal = a.utf16.elementsEqual(b.utf16)
            switch op {
            case .less: return .bool(less)
            case .lessOrEqual: return .bool(less || equal)
            case .greater: return .bool(!less && !equal)
            default: return .bool(!less)
            }
        default:
            throw JSONataError("T2009", value: lhs, value2: rhs)
        }
    }

    static func concatenationText(_ value: Value?) throws -> String {
        guard let value else { return "" }
        return try Builtins.stringValue(value, pretty: false)
    }

    static func range(_ lhs: Value?, _ rhs: Value?) throws -> Value? {
        func isInteger(_ v: Value?) -> Bool {
            guard case .number(let n)? = v else { return false }
            return n.isFinite && n == n.rounded()
        }
        if lhs != nil, !isInteger(lhs) { throw JSONataError("T2003", value: lhs) }
        if rhs != nil, !isInteger(rhs) { throw JSONataError("T2004", value: rhs) }
        guard case .number(let a)? = lhs, case .number(let b)? = rhs, a <= b else { return nil }
        let size = b - a + 1
        if size > 1e7 { throw JSONataError("D2014", value: .number(size)) }
        let start = Int(a)
        return .sequence((0..<Int(size)).map { .number(Double(start + $0)) })
    }

    func evaluateUnary(_ expr: Node, _ input: Value?, _ env: Environment) throws -> Value? {
        switch expr.op {
        case "-":
            let value = try evaluate(expr.lhs!, input, env)
            guard let value else { return nil }
            guard try value.isNumeric(), case .number(let n) = value else {
                throw JSONataError("D1002", position: expr.position, token: "-", value: value)
            }
            return .number(-n)
        case "[":
            var result = ValueArray()
            for item in expr.expressions {
                guard let value = try evaluate(item, input, env) else { continue }
                if item.isArrayConstructor {
                    result.append(value)
                } else if case .array(let a) = value {
                    result.items.append(contentsOf: a.items)
                } else {
                    result.append(value)
                }
            }
            if expr.isConstructedArray { result.isConstructed = true }
            return .array(result)
        case "{":
            return try groupBy(expr.objectSpec ?? Node.GroupSpec(pairs: expr.pairs, position: expr.position), input, env)
        default:
            return nil
        }
    }
}
