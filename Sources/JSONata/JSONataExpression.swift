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
        try run(input: input, options: options) {
            Environment(parent: Builtins.root, bindings: bindings.mapValues { .some(Value($0)) })
        }
    }

    /// Evaluates with the frame `bind` makes (above the built-ins) for the variables.
    func run(input: JSONValue?, options: Options, bind: () -> Environment) throws(JSONataError) -> JSONValue? {
        let converted = input.map(Value.init)
        let evaluator = Evaluator(
            limits: Evaluator.Limits(maximumDepth: options.maximumDepth, timeLimit: options.timeLimit), timestamp: options.timestamp,
            random: RandomSource(), root: converted)
        let environment = bind()
        if options.allowsEval { environment.bind("eval", .function(Builtins.eval)) }
        var start = converted
        if case .array(var a)? = start {
            a = ValueArray([.array(a)], sequence: true)
            a.outerWrapper = true
            start = .array(a)
        }
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

/// Variables for evaluations, converted once and shared by every expression that reads them
/// (the `$states` of a state visit and the workflow's variables, for one).
public struct JSONataBindings: @unchecked Sendable {
    // @unchecked: the converted values are never changed after binding; evaluations only read
    // them (a transform works on a copy).
    var values: [String: Value?] = [:]

    public init() {}

    public init(_ bindings: [String: JSONValue]) {
        for (name, value) in bindings { values[name] = .some(Value(value)) }
    }

    public mutating func bind(_ name: String, _ value: JSONValue) {
        values[name] = .some(Value(value))
    }

    /// Binds `name` to an object holding `members` (as `$states` holds `input`, `context`...),
    /// converting only the members given.
    public mutating func bind(_ name: String, members: [(String, JSONValue)]) {
        let object = ValueObject()
        for (key, value) in members { object[key] = Value(value) }
        values[name] = .some(.object(object))
    }

    /// A copy with one more member in the object bound to `name`.
    public func adding(_ member: String, _ value: JSONValue, to name: String) -> JSONataBindings {
        var copy = self
        let object = (values[name] ?? nil)?.objectValue?.copy() ?? ValueObject()
        object[member] = Value(value)
        copy.values[name] = .some(.object(object))
        return copy
    }
}

extension JSONataExpression {
    /// Evaluates with pre-converted bindings.
    public func evaluate(input: JSONValue?, bindings: JSONataBindings, options: Options = Options()) throws(JSONataError) -> JSONValue? {
        try run(input: input, options: options) { Environment(parent: Builtins.root, bindings: bindings.values) }
    }
}
