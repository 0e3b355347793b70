import JSONCore

extension Builtins {
    static func registerCollections(into t: inout [String: NativeFunction]) {
        define(&t, "count", "<a:n>", arity: 1) { call in .number(Double(call.items(0)?.count ?? 0)) }
        define(&t, "append", "<xx:a>", arity: 2) { call in Evaluator.append(call[0], call[1]) }
        define(&t, "exists", "<x:b>", arity: 1) { call in .bool(call[0] != nil) }
        define(&t, "boolean", "<x-:b>", arity: 1) { call in call[0].map { .bool($0.truthiness) } }
        define(&t, "not", "<x-:b>", arity: 1) { call in call[0].map { .bool(!$0.truthiness) } }
        define(&t, "type", "<x:s>", arity: 1) { call in call[0].map { .string($0.typeName) } }
        define(&t, "reverse", "<a:a>", arity: 1) { call in
            guard let value = call[0] else { return nil }
            guard case .array(let a) = value, a.count > 1 else { return value }
            return .array(a.items.reversed())
        }
        define(&t, "shuffle", "<a:a>", arity: 1) { call in
            guard let value = call[0] else { return nil }
            guard case .array(let a) = value, a.count > 1 else { return value }
            return .array(a.items.shuffled())
        }
        define(&t, "distinct", "<x:x>", arity: 1) { call in
            guard let value = call[0] else { return nil }
            guard case .array(let a) = value, a.count > 1 else { return value }
            var result = ValueArray([], sequence: a.isSequence)
            for item in a.items where !result.items.contains(where: { $0.deepEquals(item) }) { result.append(item) }
            return .array(result)
        }
        define(&t, "zip", "<a+>", arity: 0) { call in
            let arrays = call.arguments.map { $0?.asItems ?? [] }
            let length = arrays.map(\.count).min() ?? 0
            return .array((0..<length).map { i in .array(arrays.map { $0[i] }) })
        }
        define(&t, "keys", "<x-:a<s>>", arity: 1) { call in
            .array(ValueArray(keys(call[0]).map { .string($0) }, sequence: true))
        }
        define(&t, "lookup", "<x-s:x>", arity: 2) { call in
            guard let key = call.string(1) else { return nil }
            return Evaluator.lookup(call[0], key)
        }
        define(&t, "spread", "<x-:a<o>>", arity: 1) { call in spread(call[0]) }
        define(&t, "merge", "<a<o>:o>", arity: 1) { call in
            guard let items = call.items(0) else { return nil }
            let result = ValueObject()
            for case .object(let o) in items {
                for (key, value) in o.entries { result[key] = value }
            }
            return .object(result)
        }
        define(&t, "error", "<s?:x>", arity: 1) { call in
            throw JSONataError("D3137", message: call.string(0) ?? "$error() function evaluated")
        }
        define(&t, "assert", "<bs?:x>", arity: 2) { call in
            if case .bool(false)? = call[0] {
                throw JSONataError("D3141", message: call.string(1) ?? "$assert() statement failed")
            }
            return nil
        }
        define(&t, "clone", "<(oa)-:o>", arity: 1) { call in
            call[0].flatMap { $0.json }.map { Value($0) }
        }
    }

    static func keys(_ value: Value?) -> [String] {
        switch value {
        case .array(let a)?:
            var seen = Set<String>()
            var result: [String] = []
            for item in a.items {
                for key in keys(item) where seen.insert(key).inserted { result.append(key) }
            }
            return result
        case .object(let o)?:
            return o.keys
        default:
            return []
        }
    }

    static func spread(_ value: Value?) -> Value? {
        switch value {
        case .array(let a)?:
            var result: Value? = .sequence([])
            for item in a.items { result = Evaluator.append(result, spread(item)) }
            return result
        case .object(let o)?:
            return .sequence(
                o.entries.map { key, value in
                    let single = ValueObject()
                    single[key] = value
                    return .object(single)
                })
        default:
            return value
        }
    }
}
