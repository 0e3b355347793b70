import JSONCore
import PathExpressions
import PayloadTemplates

/// The query language of a state machine or a state.
public enum QueryLanguage: String, Sendable {
    case jsonPath = "JSONPath"
    case jsonata = "JSONata"
}

/// A decoded state machine definition (or a Parallel branch, or a Map's item processor: the
/// same `StartAt` + `States` shape).
public struct StateMachineDefinition: Sendable {
    public internal(set) var comment: String?
    public var startAt: String
    /// The states in definition order.
    public var stateNames: [String]
    public var states: [String: State]
    public var timeoutSeconds: Int?
    public var version: String?
    public internal(set) var queryLanguage: QueryLanguage
    /// The JSON Pointer of this machine or branch in the definition.
    public internal(set) var path: String
}

/// Where a state goes next.
public enum Transition: Sendable, Equatable {
    case next(String)
    case end
    /// Choice, Succeed and Fail decide for themselves.
    case none
}

/// A JSONPath-mode path field that may also be `null` (`InputPath`, `OutputPath`).
public enum OptionalPath: Sendable {
    /// Absent: `$`.
    case whole
    /// `null`: the empty object.
    case empty
    case path(Selector)
}

/// A `ResultPath`.
public enum ResultPathSpec: Sendable {
    /// Absent: the result replaces the input.
    case whole
    /// `null`: the result is discarded and the input passes on.
    case discard
    case path(ReferencePath)
}

/// One state of a definition.
///
/// A class so that running a state does not copy its many fields on every visit.
/// `@unchecked Sendable`: the decoder sets the fields while building the definition, and
/// nothing changes them once `DefinitionDecoder` has returned it.
public final class State: @unchecked Sendable {
    public init(name: String, path: String, comment: String?, queryLanguage: QueryLanguage, transition: Transition, kind: Kind) {
        self.name = name
        self.path = path
        self.comment = comment
        self.queryLanguage = queryLanguage
        self.transition = transition
        self.kind = kind
    }

    public internal(set) var name: String
    public internal(set) var path: String
    public internal(set) var comment: String?
    public internal(set) var queryLanguage: QueryLanguage
    public internal(set) var transition: Transition
    public internal(set) var inputPath: OptionalPath = .whole
    public internal(set) var outputPath: OptionalPath = .whole
    public internal(set) var parameters: PayloadTemplate?
    public internal(set) var resultSelector: PayloadTemplate?
    public internal(set) var resultPath: ResultPathSpec = .whole
    /// JSONPath `Assign` (a payload template) or JSONata `Assign` (kept raw).
    public internal(set) var assign: JSONValue?
    /// JSONata `Arguments` and `Output`, kept raw until the JSONata evaluator exists.
    public internal(set) var arguments: JSONValue?
    public internal(set) var output: JSONValue?
    public internal(set) var retry: [Retrier] = []
    public internal(set) var catchers: [Catcher] = []
    public internal(set) var kind: Kind

    /// Indirect: a payload is a pointer, so code that switches over a kind (and async frames
    /// holding it) carries a word, not the largest state's fields.
    public indirect enum Kind: Sendable {
        case pass(result: JSONValue?)
        case task(TaskState)
        case choice(ChoiceState)
        case wait(WaitState)
        case succeed
        case fail(FailState)
        case parallel(branches: [StateMachineDefinition])
        case map(MapState)
    }

    public var typeName: String {
        switch kind {
        case .pass: "Pass"
        case .task: "Task"
        case .choice: "Choice"
        case .wait: "Wait"
        case .succeed: "Succeed"
        case .fail: "Fail"
        case .parallel: "Parallel"
        case .map: "Map"
        }
    }
}

/// An integer field given directly, through a reference path, or (JSONata) as an expression.
public enum IntegerSource: Sendable {
    case value(Int)
    case path(ReferencePath)
    case expression(String)
}

public struct TaskState: Sendable {
    /// (Not changed after decoding: the flags below are worked out from it once.)
    public let resource: String
    public var timeoutSeconds: IntegerSource?
    public var heartbeatSeconds: IntegerSource?
    public var credentials: JSONValue?
    /// Whether `resource` is a Lambda function's ARN, worked out once rather than for every
    /// Task a Map runs (such a Task records `LambdaFunction*` events, not `Task*`).
    public let callsLambdaFunction: Bool
    /// Whether the resource ends in `.waitForTaskToken`: the Task waits for a callback with
    /// its token rather than for the service's answer.
    public let waitsForTaskToken: Bool
    public static let callbackSuffix = ".waitForTaskToken"

    public init(resource: String, timeoutSeconds: IntegerSource? = nil, heartbeatSeconds: IntegerSource? = nil, credentials: JSONValue? = nil) {
        self.resource = resource
        self.timeoutSeconds = timeoutSeconds
        self.heartbeatSeconds = heartbeatSeconds
        self.credentials = credentials
        callsLambdaFunction = Self.namesLambdaFunction(resource)
        waitsForTaskToken = resource.hasSuffix(Self.callbackSuffix)
    }

    /// Whether `resource` is a Lambda function ARN (`arn:PARTITION:lambda:...`).
    public static func namesLambdaFunction(_ resource: String) -> Bool {
        let parts = resource.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "arn" && parts[2] == "lambda"
    }
}

public struct WaitState: Sendable {
    public enum Duration: Sendable {
        case seconds(IntegerSource)
        case timestamp(String)
        case timestampPath(ReferencePath)
        case timestampExpression(String)
    }
    public var duration: Duration
}

public struct FailState: Sendable {
    public enum Text: Sendable {
        case literal(String)
        case path(Selector)
        case intrinsic(String)
        case expression(String)
    }
    public var error: Text?
    public var cause: Text?
}

public struct Retrier: Sendable {
    public var errorEquals: [String]
    public var intervalSeconds: Int = 1
    public var maxAttempts: Int = 3
    public var backoffRate: Double = 2.0
    public var maxDelaySeconds: Int?
    public var jitterStrategy: String = "NONE"
}

public struct Catcher: Sendable {
    public var errorEquals: [String]
    public var next: String
    public var resultPath: ResultPathSpec = .whole
    public var assign: JSONValue?
    public var output: JSONValue?
}

/// A reference: every child of a Distributed Map, and every frame that switches over a
/// state's kind, shares one. `@unchecked Sendable`: the decoder sets its fields while building
/// the definition, and nothing changes them after.
public final class MapState: @unchecked Sendable {
    public internal(set) var processor: StateMachineDefinition
    /// `DISTRIBUTED` when `ItemProcessor.ProcessorConfig.Mode` says so.
    public internal(set) var isDistributed: Bool
    public internal(set) var executionType: String?
    public internal(set) var itemsPath: ReferencePath?
    public internal(set) var items: JSONValue?
    public internal(set) var itemSelector: PayloadTemplate?
    public internal(set) var rawItemSelector: JSONValue?
    public internal(set) var maxConcurrency: IntegerSource?
    public internal(set) var itemReader: JSONValue?
    public internal(set) var itemBatcher: JSONValue?
    public internal(set) var resultWriter: JSONValue?
    public internal(set) var toleratedFailurePercentage: JSONValue?
    public internal(set) var toleratedFailureCount: JSONValue?
    public internal(set) var toleratedFailurePercentagePath: ReferencePath?
    public internal(set) var toleratedFailureCountPath: ReferencePath?
    public internal(set) var label: String?

    init(processor: StateMachineDefinition, isDistributed: Bool, executionType: String?) {
        self.processor = processor
        self.isDistributed = isDistributed
        self.executionType = executionType
    }
}

public struct ChoiceState: Sendable {
    public var choices: [ChoiceRule]
    public var defaultState: String?
}

/// A Choice rule: a comparison, a combination, or (JSONata) a condition.
public indirect enum ChoiceRule: Sendable {
    case comparison(variable: Selector, op: ComparisonOperator, operand: ChoiceOperand, next: String?, assign: JSONValue?)
    case and([ChoiceRule], next: String?, assign: JSONValue?)
    case or([ChoiceRule], next: String?, assign: JSONValue?)
    case not(ChoiceRule, next: String?, assign: JSONValue?)
    case condition(JSONValue, next: String?, assign: JSONValue?, output: JSONValue?)

    /// The rule's own `Assign`, used when the rule matches.
    public var assign: JSONValue? {
        switch self {
        case .comparison(_, _, _, _, let assign), .and(_, _, let assign), .or(_, _, let assign), .not(_, _, let assign), .condition(_, _, let assign, _): assign
        }
    }

    public var next: String? {
        switch self {
        case .comparison(_, _, _, let next, _), .and(_, let next, _), .or(_, let next, _), .not(_, let next, _), .condition(_, let next, _, _): next
        }
    }
}

/// What a comparison compares with: a literal, or a path (the `...Path` operators).
public enum ChoiceOperand: Sendable {
    case value(JSONValue)
    case path(Selector)
}

/// The Choice comparison operators, spelled as in ASL (without the `Path` suffix).
public enum ComparisonOperator: String, Sendable, CaseIterable {
    case stringEquals = "StringEquals"
    case stringLessThan = "StringLessThan"
    case stringGreaterThan = "StringGreaterThan"
    case stringLessThanEquals = "StringLessThanEquals"
    case stringGreaterThanEquals = "StringGreaterThanEquals"
    case stringMatches = "StringMatches"
    case numericEquals = "NumericEquals"
    case numericLessThan = "NumericLessThan"
    case numericGreaterThan = "NumericGreaterThan"
    case numericLessThanEquals = "NumericLessThanEquals"
    case numericGreaterThanEquals = "NumericGreaterThanEquals"
    case booleanEquals = "BooleanEquals"
    case timestampEquals = "TimestampEquals"
    case timestampLessThan = "TimestampLessThan"
    case timestampGreaterThan = "TimestampGreaterThan"
    case timestampLessThanEquals = "TimestampLessThanEquals"
    case timestampGreaterThanEquals = "TimestampGreaterThanEquals"
    case isNull = "IsNull"
    case isPresent = "IsPresent"
    case isNumeric = "IsNumeric"
    case isString = "IsString"
    case isBoolean = "IsBoolean"
    case isTimestamp = "IsTimestamp"

    /// Whether the operator also has a `...Path` form.
    var hasPathForm: Bool {
        switch self {
        case .stringMatches, .isNull, .isPresent, .isNumeric, .isString, .isBoolean, .isTimestamp: false
        default: true
        }
    }

    /// The JSON type the literal operand must have.
    var operandType: String {
        switch self {
        case .stringEquals, .stringLessThan, .stringGreaterThan, .stringLessThanEquals, .stringGreaterThanEquals, .stringMatches: "string"
        case .numericEquals, .numericLessThan, .numericGreaterThan, .numericLessThanEquals, .numericGreaterThanEquals: "number"
        case .timestampEquals, .timestampLessThan, .timestampGreaterThan, .timestampLessThanEquals, .timestampGreaterThanEquals: "timestamp"
        default: "boolean"
        }
    }
}
