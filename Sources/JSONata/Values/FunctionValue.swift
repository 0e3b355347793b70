/// A function value: a lambda written in the expression, a built-in, a partial application of
/// either, a regular expression (which JSONata treats as a matching function), a transform
/// (`| pattern | update |`), or a chain of two functions (`$f ~> $g`).
final class FunctionValue {
    enum Body {
        case lambda(Lambda)
        case native(NativeFunction)
        case partialNative(NativeFunction, arguments: [Value?], holes: [Int])
        case regex(RegexPattern)
        case transform(Node, Environment)
        case chain(FunctionValue, FunctionValue)
    }

    struct Lambda {
        var parameters: [String]
        var body: Node
        var environment: Environment
        var input: Value?
        var isThunk: Bool
    }

    let body: Body
    let signature: Signature?

    init(_ body: Body, signature: Signature? = nil) {
        self.body = body
        self.signature = signature
    }

    /// How many arguments a higher-order function passes it (value, index, array).
    var arity: Int {
        switch body {
        case .lambda(let lambda): lambda.parameters.count
        case .native(let native): native.arity
        case .partialNative(_, _, let holes): holes.count
        case .regex: 1
        case .transform: 1
        case .chain: 1
        }
    }

    var isThunk: Bool {
        if case .lambda(let lambda) = body { lambda.isThunk } else { false }
    }
}

/// A built-in function: its name, signature, the number of parameters its definition declares
/// (what higher-order functions pass it), and its body.
struct NativeFunction {
    typealias Body = (_ call: inout NativeCall) throws -> Value?

    let name: String
    let signature: Signature
    let arity: Int
    let body: Body
}

/// What a built-in function gets: its checked arguments, the context value it was called in,
/// and the evaluator (to call functions it was passed).
struct NativeCall {
    var arguments: [Value?]
    let input: Value?
    let evaluator: Evaluator
    let environment: Environment

    subscript(_ i: Int) -> Value? { i < arguments.count ? arguments[i] : nil }
    var count: Int { arguments.count }
}
