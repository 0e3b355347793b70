extension Evaluator {
    /// A path: each step maps over the previous step's results, flattening as it goes. Steps
    /// that bind variables (`@`, `#`) or are named by a parent reference switch the path to a
    /// tuple stream, which carries those bindings along with each value.
    func evaluatePath(_ expr: Node, _ input: Value?, _ env: Environment) throws -> Value? {
        // The items the first step maps over; `nil` input is one undefined item.
        var inputSequence: [Value]
        var undefinedInput = false
        var inputArray: Value?
        if case .array(let a)? = input, expr.steps[0].kind != .variable {
            inputSequence = a.items
            inputArray = input
        } else if let input {
            inputSequence = [input]
            inputArray = .sequence([input])
        } else {
            inputSequence = []
            undefinedInput = true
            inputArray = .sequence([])
        }

        var resultSequence: ValueArray? = nil
        var isTupleStream = false
        var tupleBindings: [Tuple]? = nil
        let lastIndex = expr.steps.count - 1

        for (index, step) in expr.steps.enumerated() {
            if step.tuple { isTupleStream = true }
            if index == 0, step.isConstructedArray {
                let value = try evaluate(step, inputArray, env)
                if case .array(let a)? = value {
                    resultSequence = a
                } else {
                    resultSequence = value.map { ValueArray.sequence([$0]) } ?? .sequence()
                }
            } else if isTupleStream {
                let items: [Value?] = undefinedInput ? [nil] : inputSequence.map { $0 }
                tupleBindings = try evaluateTupleStep(step, items, tupleBindings, env)
            } else {
                resultSequence = try evaluateStep(step, inputSequence, undefined: undefinedInput, env, isLast: index == lastIndex)
            }
            undefinedInput = false
            if !isTupleStream, resultSequence == nil || resultSequence!.isEmpty { break }
            if step.focus == nil, index < lastIndex, let resultSequence {
                inputSequence = resultSequence.items
            }
        }

        var result: ValueArray
        if isTupleStream {
            let tuples = tupleBindings ?? []
            if expr.tuple {
                result = ValueArray.sequence()
                result.tuples = tuples
            } else {
                result = ValueArray.sequence(tuples.compactMap { $0["@"] })
            }
        } else {
            result = resultSequence ?? .sequence()
        }

        if expr.keepSingletonArray {
            if result.isConstructed, !result.isSequence {
                result = ValueArray.sequence([.array(result)])
            }
            result.keepSingleton = true
        }

        if let group = expr.group {
            if isTupleStream {
                var stream = ValueArray.sequence()
                stream.tuples = tupleBindings ?? []
                return try groupBy(group, .array(stream), env)
            }
            return try groupBy(group, .array(result), env)
        }
        return .array(result)
    }

    /// One step over each item of the input, the results flattened into one sequence.
    /// `undefined`: the input is a single undefined item (a path evaluated with no input).
    func evaluateStep(_ step: Node, _ input: [Value], undefined: Bool = false, _ env: Environment, isLast: Bool) throws -> ValueArray {
        if step.kind == .sort {
            var sorted = try sort(step, input, env)
            if let stages = step.stages {
                for stage in stages {
                    if case .filter(let expr, _) = stage, let filtered = try filter(expr, .array(sorted), env) {
                        sorted = filtered.arrayValue ?? ValueArray.sequence([filtered])
                    }
                }
            }
            return sorted
        }

        // A plain field name: the lookup alone, without a full evaluation per item.
        let plainName = step.kind == .name && step.stages == nil && step.predicate == nil && step.group == nil && !step.keepArray
        var results: [Value] = []
        results.reserveCapacity(input.count)
        func add(_ item: Value?) throws {
            var res: Value?
            if plainName {
                res = Self.collapsed(Self.lookup(item, step.name))
            } else {
                res = try evaluate(step, item, env)
                if let stages = step.stages {
                    for stage in stages {
                        if case .filter(let expr, _) = stage { res = try filter(expr, res, env) }
                    }
                }
            }
            if let res { results.append(res) }
        }
        if undefined {
            try add(nil)
        } else {
            for item in input { try add(item) }
        }

        if isLast, results.count == 1, case .array(let only) = results[0], !only.isSequence {
            return only
        }
        var sequence = ValueArray.sequence()
        sequence.items.reserveCapacity(results.count)
        for res in results {
            if case .array(let a) = res, !a.isConstructed {
                sequence.items.append(contentsOf: a.items)
            } else {
                sequence.append(res)
            }
        }
        return sequence
    }

    /// A step in a tuple stream: each tuple's bindings are in scope while the step runs, and the
    /// step's results extend the tuple.
    func evaluateTupleStep(_ step: Node, _ input: [Value?], _ bindings: [Tuple]?, _ env: Environment) throws -> [Tuple] {
        var result: [Tuple]
        if step.kind == .sort {
            if let bindings {
                result = try sortTuples(step, bindings, env)
            } else {
                let sorted = try sort(step, input.compactMap { $0 }, env)
                result = sorted.items.enumerated().map { i, value in
                    var tuple: Tuple = ["@": value]
                    if let index = step.indexVariable { tuple[index] = .number(Double(i)) }
                    return tuple
                }
            }
            return try applyStages(step.stages, to: result, env)
        }

        result = []
        let tuples = bindings ?? input.map { item in item.map { ["@": $0] } ?? [:] }
        for tuple in tuples {
            let frame = Environment(parent: env, tuple: tuple)
            guard let res = try evaluate(step, tuple["@"], frame) else { continue }
            if case .array(let a) = res, let inner = a.tuples {
                for extra in inner {
                    var extended = tuple
                    extended.merge(extra) { _, new in new }
                    result.append(extended)
                }
                continue
            }
            let items: [Value] = if case .array(let a) = res { a.items } else { [res] }
            for (i, item) in items.enumerated() {
                var extended = tuple
                if let focus = step.focus {
                    extended[focus] = item
                    extended["@"] = tuple["@"]
                } else {
                    extended["@"] = item
                }
                if let index = step.indexVariable { extended[index] = .number(Double(i)) }
                if let ancestor = step.ancestor { extended[ancestor.label] = tuple["@"] }
                result.append(extended)
            }
        }
        return try applyStages(step.stages, to: result, env)
    }

    private func applyStages(_ stages: [Node.Stage]?, to tuples: [Tuple], _ env: Environment) throws -> [Tuple] {
        guard let stages else { return tuples }
        var result = tuples
        for stage in stages {
            switch stage {
            case .filter(let expr, _):
                result = try filterTuples(expr, result, env)
            case .index(let name):
                for i in result.indices { result[i][name] = .number(Double(i)) }
            }
        }
        return result
    }

    // MARK: Predicates

    /// `[expr]` over a sequence: a number selects by index (negative from the end), numbers
    /// select each index, anything else keeps the items it is true for.
    func filter(_ predicate: Node, _ input: Value?, _ env: Environment) throws -> Value? {
        if case .array(let a)? = input, let tuples = a.tuples {
            var stream = ValueArray.sequence()
            stream.tuples = try filterTuples(predicate, tuples, env)
            return .array(stream)
        }
        let items: [Value] = if case .array(let a)? = input { a.items } else if let input { [input] } else { [] }
        var results = ValueArray.sequence()
        if predicate.kind == .literal, case .number(let n)? = predicate.literal {
            var index = Int(n.rounded(.down).clamped)
            if index < 0 { index += items.count }
            if items.indices.contains(index) {
                if case .array(let selected) = items[index] { return .array(selected) }
                results.append(items[index])
            }
            return .array(results)
        }
        for (index, item) in items.enumerated() {
            let res = try evaluate(predicate, item, env)
            if try selects(res, index: index, count: items.count) { results.append(item) }
        }
        return .array(results)
    }

    func filterTuples(_ predicate: Node, _ tuples: [Tuple], _ env: Environment) throws -> [Tuple] {
        if predicate.kind == .literal, case .number(let n)? = predicate.literal {
            var index = Int(n.rounded(.down).clamped)
            if index < 0 { index += tuples.count }
            return tuples.indices.contains(index) ? [tuples[index]] : []
        }
        var results: [Tuple] = []
        for (index, tuple) in tuples.enumerated() {
            let res = try evaluate(predicate, tuple["@"], Environment(parent: env, tuple: tuple))
            if try selects(res, index: index, count: tuples.count) { results.append(tuple) }
        }
        return results
    }

    private func selects(_ res: Value?, index: Int, count: Int) throws -> Bool {
        guard let res else { return false }
        let numbers: [Double]?
        switch res {
        case .number(let n):
            _ = try res.isNumeric()
            numbers = [n]
        case .array(let a) where try a.items.allSatisfy({ try $0.isNumeric() }):
            numbers = a.items.map { $0.numberValue! }
        default: numbers = nil
        }
        if let numbers {
            return numbers.contains { n in
                var i = Int(n.rounded(.down).clamped)
                if i < 0 { i += count }
                return i == index
            }
        }
        return res.truthiness
    }
}

extension Double {
    /// Clamped into Int's range, for indexes.
    var clamped: Double {
        if isNaN { return 0 }
        return Swift.min(Swift.max(self, -9.0e18), 9.0e18)
    }
}
