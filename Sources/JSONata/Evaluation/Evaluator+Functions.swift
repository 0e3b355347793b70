extension Evaluator {
    /// `f(args)`: the procedure is evaluated like any expression, then applied to the arguments.
    /// `applyingTo` is the left side of `~>`, passed as the first argument.
    func evaluateFunction(_ expr: Node, _ input: Value?, _ env: Environment, applyingTo context: Value??) throws -> Value? {
        let procedure = try evaluate(expr.procedure!, input, env)
        let name = Self.procedureName(expr.procedure!)
        if procedure == nil, expr.procedure!.kind == .path, env.lookup(name) != nil {
            throw JSONataError("T1005", position: expr.position, token: name)
        }
        var args: [Value?] = []
        args.reserveCapacity(expr.arguments.count + 1)
        if let context { args.append(context) }
        for argument in expr.arguments { args.append(try operand(argument, input, env)) }
        do {
            return try apply(procedure, args, input, env, name: name)
        } catch let error as JSONataError {
            throw error.located(at: expr.position, token: name)
        }
    }

    static func procedureName(_ procedure: Node) -> String {
        procedure.kind == .path ? procedure.steps[0].name : procedure.name
    }

    /// Applies a function, running the thunks of tail calls in a loop rather than recursing.
    func apply(_ procedure: Value?, _ args: [Value?], _ input: Value?, _ env: Environment, name: String? = nil) throws -> Value? {
        var result = try applyOnce(procedure, args, input, env, name: name)
        while case .function(let f)? = result, case .lambda(let thunk) = f.body, thunk.isThunk {
            let call = thunk.body
            let next = try evaluate(call.procedure!, thunk.input, thunk.environment)
            var nextArgs: [Value?] = []
            for argument in call.arguments { nextArgs.append(try evaluate(argument, thunk.input, thunk.environment)) }
            let nextName = call.procedure!.kind == .variable ? call.procedure!.name : Self.procedureName(call.procedure!)
            do {
                result = try applyOnce(next, nextArgs, input, env, name: nextName)
            } catch let error as JSONataError {
                throw error.located(at: call.position, token: nextName)
            }
        }
        return result
    }

    private func applyOnce(_ procedure: Value?, _ args: [Value?], _ input: Value?, _ env: Environment, name: String?) throws -> Value? {
        guard case .function(let function)? = procedure else {
            throw JSONataError("T1006", token: name)
        }
        do {
            var validated = args
            if let signature = function.signature { validated = try signature.validate(args, context: input) }
            return try invoke(function, validated, input, env)
        } catch let error as JSONataError {
            if let name, error.token == nil { throw error.located(at: nil, token: name) }
            throw error
        }
    }

    private func invoke(_ function: FunctionValue, _ args: [Value?], _ input: Value?, _ env: Environment) throws -> Value? {
        switch function.body {
        case .lambda(let lambda):
            let frame = Environment(parent: lambda.environment)
            for (i, parameter) in lambda.parameters.enumerated() { frame.bind(parameter, i < args.count ? args[i] : nil) }
            return try evaluate(lambda.body, lambda.input, frame)
        case .native(let native):
            var call = NativeCall(arguments: args, input: input, evaluator: self, environment: env)
            return try native.body(&call)
        case .partialNative(let native, let bound, let holes):
            var full = bound
            for (i, hole) in holes.enumerated() { full[hole] = i < args.count ? args[i] : nil }
            let validated = try native.signature.validate(full, context: nil)
            var call = NativeCall(arguments: validated, input: nil, evaluator: self, environment: env)
            return try native.body(&call)
        case .regex(let regex):
            guard case .string(let text)? = args.first else { return nil }
            return Builtins.matchObject(regex, in: text, from: 0, evaluator: self)
        case .transform(let node, let environment):
            return try transform(node, args.first ?? nil, environment)
        case .chain(let first, let second):
            let middle = try apply(.function(first), [args.first ?? nil], nil, env)
            return try apply(.function(second), [middle], nil, env)
        }
    }

    /// Calls a function passed to a higher-order built-in with as many of (value, index, array)
    /// as it declares parameters.
    func callback(_ function: FunctionValue, _ value: Value?, _ index: Int, _ array: Value, env: Environment) throws -> Value? {
        let arity = function.arity
        var args: [Value?] = [value]
        if arity >= 2 { args.append(.number(Double(index))) }
        if arity >= 3 { args.append(array) }
        return try apply(.function(function), args, nil, env)
    }

    // MARK: Partial application and ~>

    func evaluatePartialApplication(_ expr: Node, _ input: Value?, _ env: Environment) throws -> Value? {
        var args: [Value?] = []
        var holes: [Int] = []
        for (i, argument) in expr.arguments.enumerated() {
            if argument.kind == .placeholder {
                holes.append(i)
                args.append(nil)
            } else {
                args.append(try evaluate(argument, input, env))
            }
        }
        let procedure = try evaluate(expr.procedure!, input, env)
        let name = Self.procedureName(expr.procedure!)
        if procedure == nil, expr.procedure!.kind == .path, env.lookup(name) != nil {
            throw JSONataError("T1007", position: expr.position, token: name)
        }
        guard case .function(let function)? = procedure else {
            throw JSONataError("T1008", position: expr.position, token: name)
        }
        switch function.body {
        case .lambda(let lambda):
            let frame = Environment(parent: lambda.environment)
            var unbound: [String] = []
            for (i, parameter) in lambda.parameters.enumerated() {
                if holes.contains(i) {
                    unbound.append(parameter)
                } else {
                    frame.bind(parameter, i < args.count ? args[i] : nil)
                }
            }
            let partial = FunctionValue.Lambda(
                parameters: unbound, body: lambda.body, environment: frame, input: lambda.input, isThunk: false)
            return .function(FunctionValue(.lambda(partial)))
        case .native(let native):
            var bound = args
            while bound.count < native.arity { bound.append(nil) }
            return .function(FunctionValue(.partialNative(native, arguments: bound, holes: holes)))
        case .partialNative(let native, let bound, let previousHoles):
            // Fill the earlier holes with these arguments; the new holes stay open.
            var filled = bound
            var remaining: [Int] = []
            for (i, hole) in previousHoles.enumerated() {
                if i < args.count, !holes.contains(i) {
                    filled[hole] = args[i]
                } else if holes.contains(i) {
                    remaining.append(hole)
                }
            }
            return .function(FunctionValue(.partialNative(native, arguments: filled, holes: remaining)))
        default:
            throw JSONataError("T1008", position: expr.position, token: name)
        }
    }

    func evaluateApply(_ expr: Node, _ input: Value?, _ env: Environment) throws -> Value? {
        let lhs = try evaluate(expr.lhs!, input, env)
        if expr.rhs!.kind == .function {
            var result = try evaluateFunction(expr.rhs!, input, env, applyingTo: .some(lhs))
            if expr.rhs!.keepArray, case .array(var a)? = result, a.isSequence {
                a.keepSingleton = true
                result = .array(a)
            }
            return result
        }
        let function = try evaluate(expr.rhs!, input, env)
        guard case .function(let f)? = function else {
            throw JSONataError("T2006", position: expr.position, token: "~>", value: function)
        }
        if case .function(let first)? = lhs {
            return .function(FunctionValue(.chain(first, f)))
        }
        return try apply(function, [lhs], nil, env)
    }

    // MARK: Transform

    /// `| pattern | update, delete |` applied to a value: a deep copy with each object the
    /// pattern selects updated and pruned.
    func transform(_ node: Node, _ value: Value?, _ env: Environment) throws -> Value? {
        guard let value else { return nil }
        let clone = env.lookup("clone")
        guard case .function = clone else { throw JSONataError("T2013", position: node.position) }
        let result = try apply(clone, [value], nil, env)
        guard let matches = try evaluate(node.pattern!, result, env) else { return result }
        for match in matches.asItems {
            let update = try evaluate(node.update!, match, env)
            if let update {
                guard case .object(let fields) = update else {
                    throw JSONataError("T2011", position: node.update!.position, value: update)
                }
                if case .object(let target) = match {
                    for (key, field) in fields.entries { target[key] = field }
                }
            }
            if let deleteNode = node.delete, let deletions = try evaluate(deleteNode, match, env) {
                let names = deletions.asItems
                guard names.allSatisfy(\.isString) else {
                    throw JSONataError("T2012", position: deleteNode.position, value: deletions)
                }
                if case .object(let target) = match {
                    for name in names { target[name.stringValue!] = nil }
                }
            }
        }
        return result
    }
}
