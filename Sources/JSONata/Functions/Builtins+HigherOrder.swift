extension Builtins {
    static func registerHigherOrder(into t: inout [String: NativeFunction]) {
        define(&t, "map", "<af>", arity: 2) { call in
            guard let array = call[0], let f = call.function(1) else { return nil }
            var result = ValueArray.sequence()
            for (i, item) in array.asItems.enumerated() {
                if let value = try call.evaluator.callback(f, item, i, array, env: call.environment) { result.append(value) }
            }
            return .array(result)
        }
        define(&t, "filter", "<af>", arity: 2) { call in
            guard let array = call[0], let f = call.function(1) else { return nil }
            var result = ValueArray.sequence()
            for (i, item) in array.asItems.enumerated()
            where try call.evaluator.callback(f, item, i, array, env: call.environment).truthiness {
                result.append(item)
            }
            return .array(result)
        }
        define(&t, "single", "<af?>", arity: 2) { call in
            guard let array = call[0] else { return nil }
            var found: Value?
            for (i, item) in array.asItems.enumerated() {
                var matches = true
                if let f = call.function(1) {
                    matches = try call.evaluator.callback(f, item, i, array, env: call.environment).truthiness
                }
                guard matches else { continue }
                if found != nil { throw JSONataError("D3138") }
                found = item
            }
            guard let found else { throw JSONataError("D3139") }
            return found
        }
        define(&t, "reduce", "<afj?:j>", arity: 3) { call in
            guard let array = call[0], let f = call.function(1) else { return nil }
            let items = array.asItems
            if f.arity < 2 { throw JSONataError("D3050") }
            var index = 0
            var result = call[2]
            if result == nil, !items.isEmpty {
                result = items[0]
                index = 1
            }
            while index < items.count {
                var args: [Value?] = [result, items[index]]
                if f.arity >= 3 { args.append(.number(Double(index))) }
                if f.arity >= 4 { args.append(array) }
                result = try call.evaluator.apply(.function(f), args, nil, call.environment)
                index += 1
            }
            return result
        }
        define(&t, "sift", "<o-f?:o>", arity: 2) { call in
            guard case .object(let object)? = call[0], let f = call.function(1) else { return nil }
            let result = ValueObject()
            for (key, value) in object.entries {
                var args: [Value?] = [value]
                if f.arity >= 2 { args.append(.string(key)) }
                if f.arity >= 3 { args.append(.object(object)) }
                if try call.evaluator.apply(.function(f), args, nil, call.environment).truthiness { result[key] = value }
            }
            return result.isEmpty ? nil : .object(result)
        }
        define(&t, "each", "<o-f:a>", arity: 2) { call in
            guard case .object(let object)? = call[0], let f = call.function(1) else { return nil }
            var result = ValueArray.sequence()
            for (key, value) in object.entries {
                var args: [Value?] = [value]
                if f.arity >= 2 { args.append(.string(key)) }
                if f.arity >= 3 { args.append(.object(object)) }
                if let answer = try call.evaluator.apply(.function(f), args, nil, call.environment) { result.append(answer) }
            }
            return .array(result)
        }
        define(&t, "sort", "<af?:a>", arity: 2) { call in
            guard let array = call[0] else { return nil }
            let items = array.asItems
            guard items.count > 1 else { return array }
            let sorted: [Value]
            if let f = call.function(1) {
                sorted = try Evaluator.mergeSort(items) { a, b in
                    try call.evaluator.apply(.function(f), [a, b], nil, call.environment).truthiness
                }
            } else if items.allSatisfy(\.isNumber) {
                sorted = try Evaluator.mergeSort(items) { a, b in a.numberValue! > b.numberValue! }
            } else if items.allSatisfy(\.isString) {
                sorted = try Evaluator.mergeSort(items) { a, b in b.stringValue!.jsPrecedes(a.stringValue!) }
            } else {
                throw JSONataError("D3070", value: array)
            }
            return .array(sorted)
        }
    }
}
