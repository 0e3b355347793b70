extension Builtins {
    /// JSONata's `$eval(expr, context)`: parses and evaluates a string as an expression. AWS
    /// Step Functions does not offer it (its `$parse` reads JSON only), so it is bound only when
    /// an evaluation asks for plain JSONata.
    nonisolated(unsafe) static let eval: FunctionValue = {
        let native = NativeFunction(name: "eval", signature: try! Signature("<sx?:x>"), arity: 2) { call in
            guard let text = call.string(0) else { return nil }
            var input = call.input
            if let focus = call[1] {
                input = focus
                if case .array(var a) = focus, !a.isSequence {
                    a = ValueArray([.array(a)], sequence: true)
                    a.outerWrapper = true
                    input = .array(a)
                }
            }
            let ast: Node
            do {
                ast = try Parser.parse(text)
            } catch let error as JSONataError {
                throw JSONataError("D3120", value: .string(error.message))
            }
            do {
                return try call.evaluator.evaluate(ast, input, call.environment)
            } catch let error as JSONataError {
                throw JSONataError("D3121", value: .string(error.message))
            }
        }
        return FunctionValue(.native(native), signature: native.signature)
    }()
}
