import Foundation
import JSONCore

/// A compiled JSONata 2.0.6 expression, with the functions AWS Step Functions adds (`$partition`,
/// `$range`, `$hash`, `$random`, `$uuid`, `$parse`) and without `$eval`, as on AWS.
///
/// ```swift
/// let total = try JSONataExpression("$sum(items.(price * qty))")
/// let value = try total.evaluate(input: order)
/// ```
public struct JSONataExpression: Sendable {
    /// The expression as written.
    public let source: String
    let root: Node

    /// Parses `source`; a syntax error names its code (`S0201`...) and position.
    public init(_ source: String) throws(JSONataError) {
        self.source = source
        root = try Parser.parse(source)
    }

    /// Limits and context for one evaluation.
    public struct Options: Sendable {
        /// The deepest nesting of evaluation allowed; deeper (runaway, non-tail recursion) stops
        /// with U1001 instead of exhausting the stack.
        public var maximumDepth: Int
        /// Evaluation stops with U1001 after this long, when set.
        public var timeLimit: Duration?
        /// The instant `$now()` and `$millis()` report, in milliseconds since the epoch; now when
        /// not set.
        public var timestamp: Double?
        /// Whether `$eval` is available. AWS Step Functions leaves it out, so it is off unless
        /// plain JSONata 2.0.6 is wanted (its conformance suite, for one).
        public var allowsEval: Bool

        public init(maximumDepth: Int = 100_000, timeLimit: Duration? = nil, timestamp: Double? = nil, allowsEval: Bool = false) {
            self.maximumDepth = maximumDepth
            self.timeLimit = timeLimit
            self.timestamp = timestamp
            self.allowsEval = allowsEval
        }
    }

    /// Evaluates against `input` (`nil`: no input at all) with `bindings` as `$name` variables.
    /// The result is `nil` when the expression yields nothing (JSONata's undefined) or only a
    /// function.
    public func evaluate(
        input: JSONValue?, bindings: [String: JSONValue] = [:], options: Options = Options()
    ) throws(JSONataError) -> JSONValue? {
        let evaluator = Evaluator(
            limits: Evaluator.Limits(maximumDepth: options.maximumDepth, timeLimit: options.timeLimit),
            timestamp: options.timestamp ?? (Date().timeIntervalSince1970 * 1000).rounded(.down), random: RandomSource())
        let environment = Environment(parent: Builtins.root)
        if options.allowsEval { environment.bind("eval", .function(Builtins.eval)) }
        for (name, value) in bindings { environment.bind(name, Value(value)) }
        var start = input.map(Value.init)
        if case .array(var a)? = start {
            a = ValueArray([.array(a)], sequence: true)
            a.outerWrapper = true
            start = .array(a)
        }
        environment.bind("$", input.map(Value.init))
        do {
            let result = try evaluator.evaluate(root, start, environment)
            if let result, result.containsNonFiniteNumber { throw JSONataError("D1001", value: result) }
            return result?.json
        } catch let error as JSONataError {
            throw error
        } catch {
            throw JSONataError("D3137", message: "\(error)")
        }
    }
}
