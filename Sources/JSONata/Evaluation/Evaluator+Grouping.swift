extension Evaluator {
    /// An object constructor, or `path{key: value}`: each item of the input is grouped under the
    /// key its key expression gives; each group's value expression then runs over the group.
    func groupBy(_ spec: Node.GroupSpec, _ input: Value?, _ env: Environment) throws -> Value? {
        if !(input?.isArray ?? false) { return try constructObject(spec, input, env) }
        enum Members {
            case values(Value?)
            case tuples([Tuple])
        }
        var order: [String] = []
        var groups: [String: (members: Members, pair: Int)] = [:]

        var tupleStream: [Tuple]?
        var items: [Value?]
        if case .array(let a)? = input, let tuples = a.tuples {
            tupleStream = tuples
            items = []
        } else if case .array(let a)? = input {
            items = a.items
        } else {
            items = [input]
        }
        if tupleStream == nil, items.isEmpty { items = [nil] }
        if let tuples = tupleStream, tuples.isEmpty { tupleStream = nil; items = [nil] }

        let count = tupleStream?.count ?? items.count
        for i in 0..<count {
            let tuple = tupleStream?[i]
            let item: Value? = tuple.map { $0["@"] } ?? items[i]
            let frame = tuple.map { Environment(parent: env, tuple: $0) } ?? env
            for (pairIndex, pair) in spec.pairs.enumerated() {
                let key = try evaluate(pair.0, item, frame)
                guard let key else { continue }
                guard case .string(let name) = key else {
                    throw JSONataError("T1003", position: spec.position, value: key)
                }
                if let existing = groups[name] {
                    if existing.pair != pairIndex { throw JSONataError("D1009", position: spec.position, value: key) }
                    switch existing.members {
                    case .values(let data): groups[name]!.members = .values(Self.append(data, item))
                    case .tuples(let list): groups[name]!.members = .tuples(list + [tuple!])
                    }
                } else {
                    order.append(name)
                    groups[name] = (tuple.map { .tuples([$0]) } ?? .values(item), pairIndex)
                }
            }
        }

        let result = ValueObject()
        for name in order {
            let entry = groups[name]!
            let value: Value?
            switch entry.members {
            case .values(let data):
                value = try evaluate(spec.pairs[entry.pair].1, data, env)
            case .tuples(let tuples):
                var merged = tuples[0]
                for tuple in tuples.dropFirst() {
                    for (key, v) in tuple { merged[key] = Self.append(merged[key], v) }
                }
                let context = merged.removeValue(forKey: "@")
                value = try evaluate(spec.pairs[entry.pair].1, context, Environment(parent: env, tuple: merged))
            }
            if let value { result[name] = value }
        }
        return .object(result)
    }

    /// An object constructor over one item (or none): every group holds that item, so the keys
    /// are evaluated first, then each value once, in the order of their keys.
    private func constructObject(_ spec: Node.GroupSpec, _ item: Value?, _ env: Environment) throws -> Value? {
        if let literalKeys = spec.literalKeys {
            var values: [Value] = []
            values.reserveCapacity(literalKeys.count)
            var missing: [Int] = []
            for (i, pair) in spec.pairs.enumerated() {
                if let value = try operand(pair.1, item, env) { values.append(value) } else { missing.append(i) }
            }
            // The keys array is shared by every object the constructor makes, unless a value
            // is undefined and its key left out.
            if missing.isEmpty { return .object(ValueObject(keys: literalKeys, values: values)) }
            let keys = literalKeys.enumerated().filter { !missing.contains($0.offset) }.map(\.element)
            return .object(ValueObject(keys: keys, values: values))
        }
        var keys: [(name: String, pair: Int)] = []
        keys.reserveCapacity(spec.pairs.count)
        for (pairIndex, pair) in spec.pairs.enumerated() {
            guard let key = try operand(pair.0, item, env) else { continue }
            guard case .string(let name) = key else { throw JSONataError("T1003", position: spec.position, value: key) }
            if let existing = keys.first(where: { $0.name == name }) {
                if existing.pair != pairIndex { throw JSONataError("D1009", position: spec.position, value: key) }
                continue
            }
            keys.append((name, pairIndex))
        }
        let result = ValueObject(capacity: keys.count)
        for (name, pair) in keys {
            if let value = try operand(spec.pairs[pair].1, item, env) { result.appendNew(name, value) }
        }
        return .object(result)
    }

    // MARK: Order-by

    /// `^(term, >term)`: a stable merge sort on the terms, undefined last.
    func sort(_ step: Node, _ input: [Value], _ env: Environment) throws -> ValueArray {
        let sorted = try Self.mergeSort(input) { a, b in try self.sortSwaps(step, a, env, b, env) }
        return input.count <= 1 ? ValueArray.sequence(sorted) : ValueArray(sorted)
    }

    func sortTuples(_ step: Node, _ tuples: [Tuple], _ env: Environment) throws -> [Tuple] {
        try Self.mergeSort(tuples) { a, b in
            try self.sortSwaps(
                step, a["@"], Environment(parent: env, tuple: a), b["@"], Environment(parent: env, tuple: b))
        }
    }

    /// Whether `a` sorts after `b` under the step's terms.
    private func sortSwaps(_ step: Node, _ a: Value?, _ aEnv: Environment, _ b: Value?, _ bEnv: Environment) throws -> Bool {
        var comparison = 0
        for term in step.terms where comparison == 0 {
            let aa = try evaluate(term.expression, a, aEnv)
            let bb = try evaluate(term.expression, b, bEnv)
            guard let aa else {
                comparison = bb == nil ? 0 : 1
                continue
            }
            guard let bb else {
                comparison = -1
                continue
            }
            let comparable: (Value) -> Bool = { $0.isNumber || $0.isString }
            guard comparable(aa), comparable(bb) else {
                throw JSONataError("T2008", position: step.position, value: comparable(aa) ? bb : aa)
            }
            switch (aa, bb) {
            case (.number(let x), .number(let y)):
                if x == y { continue }
                comparison = x < y ? -1 : 1
            case (.string(let x), .string(let y)):
                if x.utf16.elementsEqual(y.utf16) { continue }
                comparison = x.jsPrecedes(y) ? -1 : 1
            default:
                throw JSONataError("T2007", position: step.position, value: aa, value2: bb)
            }
            if term.descending { comparison = -comparison }
        }
        return comparison == 1
    }

    /// JSONata's merge sort: `swaps(a, b)` true puts `b` first; equal items keep their order.
    static func mergeSort<T>(_ items: [T], _ swaps: (T, T) throws -> Bool) throws -> [T] {
        guard items.count > 1 else { return items }
        let middle = items.count / 2
        let left = try mergeSort(Array(items[..<middle]), swaps)
        let right = try mergeSort(Array(items[middle...]), swaps)
        var merged: [T] = []
        merged.reserveCapacity(items.count)
        var i = 0
        var j = 0
        while i < left.count, j < right.count {
            if try swaps(left[i], right[j]) {
                merged.append(right[j])
                j += 1
            } else {
                merged.append(left[i])
                i += 1
            }
        }
        merged.append(contentsOf: left[i...])
        merged.append(contentsOf: right[j...])
        return merged
    }
}
