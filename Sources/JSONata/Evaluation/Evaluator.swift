import Foundation

/// Walks a parsed expression against an input, as JSONata's reference evaluator does: every
/// node yields a value or undefined, path results are sequences that collapse to their single
/// item, and lambdas close over the frame they were made in.
final class Evaluator {
    struct Limits {
        /// The deepest nesting of evaluations allowed (recursion that is not in tail position
        /// counts); past it, U1001.
        var maximumDepth: Int
        /// Evaluation stops with U1001 after this long.
        var timeLimit: Duration?
    }

    let limits: Limits
    @exclusivity(unchecked) private var depth = 0
    @exclusivity(unchecked) private var evaluations = 0
    /// The input the evaluation started with (`$$`).
    let root: Value?
    private let deadline: ContinuousClock.Instant?
    private let stackLimit = StackGuard.limit()
    /// The evaluation's timestamp: `$now()` and `$millis()` return this throughout (taken when
    /// first asked for, unless given).
    lazy var timestamp: Double = (Date().timeIntervalSince1970 * 1000).rounded(.down)
    var random: RandomSource

    init(limits: Limits, timestamp: Double?, random: RandomSource, root: Value?) {
        self.limits = limits
        self.random = random
        self.root = root
        deadline = limits.timeLimit.map { ContinuousClock.now.advanced(by: $0) }
        if let timestamp { self.timestamp = timestamp }
    }

    func evaluate(_ node: Node, _ input: Value?, _ env: Environment) throws -> Value? {
        depth += 1
        defer { depth -= 1 }
        if depth > limits.maximumDepth || StackGuard.current() < stackLimit {
            throw JSONataError(
                "U1001",
                message: "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive.",
                position: node.position)
        }
        evaluations &+= 1
        if evaluations & 1023 == 0, let deadline, ContinuousClock.now > deadline {
            throw JSONataError("U1001", message: "Expression evaluation timeout: Check for infinite loop", position: node.position)
        }

        var result: Value?
        switch node.kind {
        case .path:
            if node.isPlainName, !(input?.isArray ?? false) { return Self.collapsed(Self.lookup(input, node.steps[0].name)) }
            if node.isNameChain, let (done, value) = try nameChain(node, input, env), done { return value }
            result = try evaluatePath(node, input, env)
        case .binary: result = try evaluateBinary(node, input, env)
        case .unary: result = try evaluateUnary(node, input, env)
        case .name: result = Self.lookup(input, node.name)
        case .literal: result = node.literal
        case .wildcard: result = Self.wildcard(input)
        case .descendant: result = Self.descendants(input)
        case .parent: result = env.lookup(node.slot!.label)
        case .condition:
            if try evaluate(node.condition!, input, env).truthiness {
                result = try evaluate(node.then!, input, env)
            } else if let otherwise = node.otherwise {
                result = try evaluate(otherwise, input, env)
            }
        case .block:
            let frame = node.bindsVariables ? Environment(parent: env) : env
            for expression in node.expressions { result = try evaluate(expression, input, frame) }
        case .bind:
            let value = try evaluate(node.rhs!, input, env)
            env.bind(node.lhs!.name, value)
            result = value
        case .regex:
            result = .function(FunctionValue(.regex(node.regex!)))
        case .function:
            result = try evaluateFunction(node, input, env, applyingTo: nil)
        case .variable:
            if node.name.isEmpty {
                if case .array(let a)? = input, a.outerWrapper, !a.isEmpty { result = a[0] } else { result = input }
            } else if node.name == "$" {
                result = env.find("$") ?? root
            } else {
                result = env.lookup(node.name)
            }
        case .lambda:
            let lambda = FunctionValue.Lambda(
                parameters: node.arguments.map(\.name), body: node.body!, environment: env, input: input,
                isThunk: node.isThunk)
            result = .function(FunctionValue(.lambda(lambda), signature: node.signature))
        case .partial:
            result = try evaluatePartialApplication(node, input, env)
        case .apply:
            result = try evaluateApply(node, input, env)
        case .transform:
            result = .function(FunctionValue(.transform(node, env), signature: Self.transformSignature))
        case .sort, .placeholder, .end, .operatorName:
            result = nil
        }

        if let predicate = node.predicate {
            for stage in predicate {
                if case .filter(let expr, _) = stage { result = try filter(expr, result, env) }
            }
        }
        if node.kind != .path, let group = node.group {
            result = try groupBy(group, result, env)
        }
        return Self.collapsed(result, keepArray: node.keepArray)
    }

    /// `evaluate` for an operand: literals and plain field names (the commonest leaves) are
    /// answered without the full evaluation's bookkeeping.
    @inline(__always) func operand(_ node: Node, _ input: Value?, _ env: Environment) throws -> Value? {
        if node.kind == .literal, node.predicate == nil, node.group == nil { return node.literal }
        if node.isPlainName, !(input?.isArray ?? false) { return Self.collapsed(Self.lookup(input, node.steps[0].name)) }
        return try evaluate(node, input, env)
    }

    /// A sequence as an evaluation ends it: empty is undefined, one item is that item (unless
    /// kept as an array), more stay a sequence. Other values pass unchanged.
    @inline(__always) static func collapsed(_ result: Value?, keepArray: Bool = false) -> Value? {
        guard case .array(var a)? = result, a.isSequence, a.tuples == nil else { return result }
        if keepArray { a.keepSingleton = true }
        if a.isEmpty { return nil }
        if a.count == 1 { return a.keepSingleton ? .array(a) : a[0] }
        return .array(a)
    }

    static let transformSignature = try! Signature("<(oa):o>")

    /// A path of names through objects, looked up directly; `done` is false when a value on the
    /// way is not a single object, and the path must be evaluated in full.
    private func nameChain(_ node: Node, _ input: Value?, _ env: Environment) throws -> (done: Bool, value: Value?)? {
        let steps = node.steps
        var value: Value?
        var next = 0
        if steps[0].kind == .variable {
            if steps[0].name.isEmpty || steps[0].name == "$" { return (false, nil) }
            value = steps[0].name == "$" ? (env.find("$") ?? root) : env.lookup(steps[0].name)
            next = 1
        } else {
            value = input
        }
        while next < steps.count {
            guard case .object(let object)? = value else {
                if value == nil { return (true, nil) }
                return (false, nil)
            }
            let step = steps[next]
            value = object[step.name]
            next += 1
            // A step with a literal index: `items[0]`, `items[-1]`.
            if let stages = step.stages, case .filter(let expr, _) = stages[0], case .number(let n)? = expr.literal, let found = value {
                let items: [Value] = if case .array(let a) = found { a.items } else { [found] }
                var i = Int(n.rounded(.down).clamped)
                if i < 0 { i += items.count }
                value = items.indices.contains(i) ? items[i] : nil
            }
        }
        if case .array(let a)? = value, a.isSequence { return (false, nil) }
        return (true, value)
    }

    // MARK: Names, wildcards, descendants

    /// The value of field `key` in `input`; over an array, the values from each item, arrays
    /// among them flattened one level.
    static func lookup(_ input: Value?, _ key: String) -> Value? {
        switch input {
        case .array(let a)?:
            var result = ValueArray.sequence()
            for item in a.items {
                guard let found = lookup(item, key) else { continue }
                if case .array(let inner) = found {
                    result.items.append(contentsOf: inner.items)
                } else {
                    result.append(found)
                }
            }
            return .array(result)
        case .object(let o)?:
            return o[key]
        default:
            return nil
        }
    }

    static func wildcard(_ input: Value?) -> Value? {
        var input = input
        if case .array(let a)? = input, a.outerWrapper, !a.isEmpty { input = a[0] }
        var results = ValueArray.sequence()
        let values: [Value]
        switch input {
        case .object(let o)?: values = o.values
        case .array(let a)?: values = a.items
        default: values = []
        }
        for value in values {
            if case .array = value {
                var flat: [Value] = []
                flatten(value, into: &flat)
                results = append(.array(results), .array(ValueArray(flat)))!.arrayValue!
            } else {
                results.append(value)
            }
        }
        return .array(results)
    }

    static func flatten(_ value: Value, into out: inout [Value]) {
        if case .array(let a) = value {
            for item in a.items { flatten(item, into: &out) }
        } else {
            out.append(value)
        }
    }

    static func descendants(_ input: Value?) -> Value? {
        guard let input else { return nil }
        var results: [Value] = []
        func recurse(_ value: Value) {
            switch value {
            case .array(let a):
                for item in a.items { recurse(item) }
            case .object(let o):
                results.append(value)
                for item in o.values { recurse(item) }
            default:
                results.append(value)
            }
        }
        recurse(input)
        return results.count == 1 ? results[0] : .sequence(results)
    }

    /// JSONata's `$append` and its internal use: undefined on either side gives the other; the
    /// result is a new, plain array.
    static func append(_ first: Value?, _ second: Value?) -> Value? {
        guard let first else { return second }
        guard let second else { return first }
        var items = first.asItems
        items.append(contentsOf: second.asItems)
        return .array(ValueArray(items))
    }
}
