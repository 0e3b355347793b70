import ASLErrors
import ASLModel
import Foundation
import JSONCore
import PathExpressions
import PayloadTemplates

/// The JSONPath data flow of one state visit: `InputPath → Parameters → (work) →
/// ResultSelector → ResultPath → OutputPath`, with AWS's failures and causes.
struct DataFlow {
    let state: State
    let enteredEventId: Int
    /// When the state was entered (`$$.State.EnteredTime`).
    let entered: Date
    /// The context object, built only when something reads it, and what the attempt measured.
    let attempt: AttemptScope
    let variables: JSONObject
    /// The task token of a `.waitForTaskToken` Task's attempt (`$$.Task.Token`).
    var taskToken: String? = nil

    var lazyContext: LazyJSON { attempt }
    var context: JSONValue { attempt.value }

    /// AWS's prefix for run-time errors of a state.
    func runtimeCause(_ detail: String) -> String {
        "An error occurred while executing the state '\(state.name)' (entered at the event id #\(enteredEventId)). \(detail)"
    }

    func runtime(_ detail: String) -> ExecutionFailure {
        ExecutionFailure(.runtime, cause: runtimeCause(detail))
    }

    func scope(_ input: JSONValue) -> DataScope {
        DataScope(input: input, context: lazyContext, variables: variables)
    }

    /// `InputPath`/`OutputPath`: absent keeps the value, `null` gives `{}`.
    func apply(_ path: OptionalPath, to value: JSONValue) throws(ExecutionFailure) -> JSONValue {
        switch path {
        case .whole: return value
        case .empty: return .object(JSONObject())
        case .path(let selector):
            do {
                return try selector.select(in: scope(value))
            } catch {
                throw runtime("Invalid path '\(selector.text)' : \(error.message)")
            }
        }
    }

    /// A payload template evaluated against `input`; path failures carry the state prefix when
    /// they are `States.Runtime`.
    func evaluate(_ template: PayloadTemplate, input: JSONValue, pathFailure: ErrorName) throws(ExecutionFailure) -> JSONValue {
        do {
            return try template.evaluate(in: scope(input), pathFailure: pathFailure)
        } catch {
            if error.error == .runtime, let cause = error.cause { throw ExecutionFailure(.runtime, cause: runtimeCause(cause)) }
            throw error
        }
    }

    /// `ResultPath`: where the result goes in the state's original input.
    func place(_ result: JSONValue, into input: JSONValue, _ resultPath: ResultPathSpec) throws(ExecutionFailure) -> JSONValue {
        switch resultPath {
        case .whole: return result
        case .discard: return input
        case .path(let path):
            guard let placed = path.placing(result, into: input) else {
                throw ExecutionFailure(.resultPathMatchFailure, cause: runtimeCause("Unable to apply ResultPath \"\(path.text)\" to input \(input.compactString)"))
            }
            return placed
        }
    }

    /// The second half of the data flow for a state with a result (Task, Parallel, Map):
    /// `ResultSelector`, the size limit, `Assign` (reading the selected result), `ResultPath`
    /// into the original input, then `OutputPath`.
    func finish(_ result: JSONValue, input: JSONValue) throws(ExecutionFailure) -> (output: JSONValue, assigned: JSONObject?) {
        var result = result
        if let selector = state.resultSelector { result = try evaluate(selector, input: result, pathFailure: .runtime) }
        try checkSize(result)
        let assigned = try assignments(state.assign, input: result)
        return (try apply(state.outputPath, to: try place(result, into: input, state.resultPath)), assigned)
    }

    /// Whether `value` is within the 256 KiB payload limit.
    func fitsPayloadLimit(_ value: JSONValue) -> Bool {
        if let last = attempt.measured, last.sharesStorage(with: value) { return true }
        guard value.encodesWithin(Interpreter.payloadLimit) else { return false }
        attempt.measured = value
        return true
    }

    /// The 256 KiB limit on what a state passes on.
    func checkSize(_ value: JSONValue) throws(ExecutionFailure) {
        if !fitsPayloadLimit(value) {
            var failure = ExecutionFailure(
                .dataLimitExceeded, cause: "The state/task '\(state.name)' returned a result with a size exceeding the maximum number of bytes service limit.")
            failure.terminal = true
            throw failure
        }
    }

    /// JSONPath `Assign`: a payload template evaluated against `input` (the state's result or
    /// effective input), as of state entry.
    func assignments(_ assign: JSONValue?, input: JSONValue) throws(ExecutionFailure) -> JSONObject? {
        guard let assign else { return nil }
        let template: PayloadTemplate
        do { template = try PayloadTemplate(assign, location: state.path + "/Assign") } catch {
            throw runtime("Invalid Assign: \(error)")
        }
        guard case .object(let values) = try evaluate(template, input: input, pathFailure: .runtime) else { return nil }
        return values
    }

    /// An integer field given directly or through a reference path (`TimeoutSecondsPath`,
    /// `MaxConcurrencyPath`, ...), with AWS's messages for a bad value.
    func integer(_ source: IntegerSource?, field: String, input: JSONValue) throws(ExecutionFailure) -> Int? {
        switch source {
        case nil: return nil
        case .value(let n): return n
        case .expression(let text): return try jsonataInteger(text, field: field, jsonataBindings(input: input))
        case .path(let path):
            let value: JSONValue
            do { value = try path.select(in: scope(input)) } catch {
                throw runtime("Invalid path '\(path.text)' : \(error.message)")
            }
            // AWS accepts a numeric string too (recorded: MaxConcurrencyPath → "1").
            guard let n = value.integerValue ?? value.stringValue.flatMap({ Int64($0) }), let int = Int(exactly: n) else {
                let shown = value.stringValue ?? value.compactString
                throw runtime("The \(field)Path field refers to value \"\(shown)\" which is not a valid integer: \(path.text)")
            }
            return int
        }
    }
}

/// A flow belongs to its attempt's task (its `AttemptScope` measures without a lock).
@available(*, unavailable)
extension DataFlow: Sendable {}

/// What one attempt at a state keeps by reference, so that its `DataFlow` stays a plain value:
/// the context object (`$$`), built when first read (most states never read it), and the last
/// value found within the payload limit (a state's result, selected result and output are most
/// often the same value, measured once). One object per attempt: the context's closure, the
/// closure's captures and the measurement were three allocations.
final class AttemptScope: LazyJSON, @unchecked Sendable {
    private let source: Source?
    /// Read and set only through the attempt's `DataFlow`, which is not `Sendable`.
    var measured: JSONValue?

    /// What the context object is made of.
    struct Source {
        let run: ExecutionRun
        let stateName: String
        let entered: Date
        let retryCount: Int?
        let frame: Frame
        let taskToken: String?
    }

    init(_ source: Source) {
        self.source = source
        super.init()
    }

    /// An attempt whose context object is already made (a Map's item selection).
    init(context: JSONValue) {
        source = nil
        super.init(value: context)
    }

    override func make() -> JSONValue {
        guard let source else { return .null }
        return source.run.context(
            stateName: source.stateName, entered: source.entered, retryCount: source.retryCount, frame: source.frame, taskToken: source.taskToken)
    }
}
