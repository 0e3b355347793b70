import ASLErrors
import ASLModel
import Foundation
import JSONCore
import JSONata
import PayloadTemplates

extension ExecutionRun {
    /// The work of a state that uses JSONata: `Arguments` for its input to the work, `Output`
    /// for what it passes on (default: the result, or the input), `Assign` for variables.
    func jsonataBody(
        _ state: State, input: JSONValue, flow: DataFlow, frame: Frame, attempt: Int, entered: Date
    ) async throws(ExecutionFailure) -> (JSONValue, String?, JSONObject?) {
        let next: String? = if case .next(let name) = state.transition { name } else { nil }
        let bindings = flow.jsonataBindings(input: input)
        switch state.kind {
        case .pass:
            let (output, assigned) = try flow.jsonataFinish(output: input, outputTemplate: state.output, assign: state.assign, bindings)
            return (output, next, assigned)

        case .task(let task):
            let payload = try state.arguments.map { template throws(ExecutionFailure) in try flow.jsonata(template, field: "Arguments", bindings) } ?? input
            let timeout = try flow.integer(task.timeoutSeconds, field: "TimeoutSeconds", input: input)
            let heartbeat = try flow.integer(task.heartbeatSeconds, field: "HeartbeatSeconds", input: input)
            let result = try await invokeTask(state, task, payload: payload, flow: flow, attempt: attempt, timeout: timeout, heartbeat: heartbeat)
            try flow.checkSize(result)
            let (output, assigned) = try flow.jsonataFinish(
                output: result, outputTemplate: state.output, assign: state.assign, bindings.adding("result", result, to: "states"))
            return (output, next, assigned)

        case .choice(let choice):
            for rule in choice.choices {
                guard case .condition(let condition, let target, let assign, let output) = rule else {
                    throw flow.runtime("A Choice rule of a state using JSONata must have a Condition")
                }
                guard try flow.jsonata(condition, field: "Condition", expecting: "boolean", bindings).boolValue == true else { continue }
                let (result, assigned) = try flow.jsonataFinish(output: input, outputTemplate: output, assign: assign, bindings)
                return (result, target, assigned)
            }
            guard let fallback = choice.defaultState else {
                throw ExecutionFailure(.noChoiceMatched, cause: flow.runtimeCause("No Choice rule matched and no Default state was specified."))
            }
            let (output, assigned) = try flow.jsonataFinish(output: input, outputTemplate: state.output, assign: state.assign, bindings)
            return (output, fallback, assigned)

        case .wait(let wait):
            let seconds: Double
            switch wait.duration {
            case .timestampExpression(let text):
                let timestamp = try flow.jsonata(.string(text), field: "Timestamp", bindings)
                guard case .string(let value) = timestamp, let date = Timestamps.parse(value) else {
                    throw flow.queryFailure(
                        "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: \(timestamp.stringValue ?? timestamp.compactString)",
                        field: "Timestamp")
                }
                seconds = max(0, date.timeIntervalSince(clock.now()))
            default:
                seconds = try waitSeconds(wait, flow: flow, input: input, entered: entered)
            }
            await clock.sleep(seconds: seconds)
            if Task.isCancelled { throw ExecutionFailure(.runtime, cause: "The execution was stopped") }
            if clock.now() >= deadline { throw ExecutionFailure(Self.executionTimedOut) }
            let (output, assigned) = try flow.jsonataFinish(output: input, outputTemplate: state.output, assign: state.assign, bindings)
            return (output, next, assigned)

        case .succeed:
            let (output, _) = try flow.jsonataFinish(output: input, outputTemplate: state.output, assign: nil, bindings)
            return (output, nil, nil)

        case .fail(let fail):
            func text(_ text: FailState.Text?, _ field: String) throws(ExecutionFailure) -> String? {
                switch text {
                case .expression(let source)?: return try flow.jsonataString(source, field: field, bindings)
                case .literal(let literal)?: return literal
                default: return nil
                }
            }
            let error = try text(fail.error, "Error")
            let cause = try text(fail.cause, "Cause")
            throw ExecutionFailure(ErrorName(error ?? "States.Fail"), cause: cause)

        case .parallel(let branches):
            let branchInput = try state.arguments.map { template throws(ExecutionFailure) in try flow.jsonata(template, field: "Arguments", bindings) } ?? input
            history.record("ParallelStateStarted", at: clock.now())
            let result = JSONValue.array(try await runBranches(branches, input: branchInput, frame: frame, parts: parts(of: state, flow: flow, frame: frame)))
            try flow.checkSize(result)
            let (output, assigned) = try flow.jsonataFinish(
                output: result, outputTemplate: state.output, assign: state.assign, bindings.adding("result", result, to: "states"))
            return (output, next, assigned)

        case .map(let map):
            let result = try await runMap(state, map, input: input, flow: flow, frame: frame)
            try flow.checkSize(result)
            let (output, assigned) = try flow.jsonataFinish(
                output: result, outputTemplate: state.output, assign: state.assign, bindings.adding("result", result, to: "states"))
            return (output, next, assigned)
        }
    }

    /// A Catcher of a JSONata state: its `Output` (default: the error output) and `Assign`,
    /// with `$states.errorOutput`.
    func jsonataCatch(_ catcher: Catcher, failure: ExecutionFailure, input: JSONValue, flow: DataFlow) throws(ExecutionFailure) -> (JSONValue, JSONObject?) {
        let bindings = flow.jsonataBindings(input: input).adding("errorOutput", failure.errorOutput, to: "states")
        return try flow.jsonataFinish(output: failure.errorOutput, outputTemplate: catcher.output, assign: catcher.assign, bindings)
    }

    /// The items of a Map state that uses JSONata: `Items` (which must give an array), or the
    /// state's input (which must be one).
    func jsonataItems(of map: MapState, flow: DataFlow, input: JSONValue) throws(ExecutionFailure) -> [JSONValue] {
        if let items = map.items {
            let value = try flow.jsonata(items, field: "Items", expecting: "array", flow.jsonataBindings(input: input))
            return value.arrayValue ?? []
        }
        guard case .array(let elements) = input else {
            throw flow.queryFailure("Map state input must be an array but was: \(input.compactString)", field: "Items")
        }
        return elements
    }
}
