import ASLErrors
import ASLModel
import Foundation
import JSONCore
import JSONata
import PayloadTemplates

extension ExecutionRun {
    /// The work of a state that uses JSONata: `Arguments` for its input to the work, `Output`
    /// for what it passes on (default: the result, or the input), `Assign` for variables.
    /// As in `body`, each kind has its own function, so no async frame holds every kind's
    /// temporaries.
    @inline(never)
    nonisolated(nonsending) func jsonataBody(
        _ state: State, input: JSONValue, flow: DataFlow, frame: Frame, attempt: Int, entered: Date
    ) async throws(ExecutionFailure) -> (JSONValue, String?, JSONObject?) {
        switch state.kind {
        case .task(let task): return try await jsonataTaskBody(state, task, input: input, flow: flow, attempt: attempt)
        case .parallel(let branches): return try await jsonataParallelBody(state, branches, input: input, flow: flow, frame: frame)
        case .map(let map): return try await jsonataMapBody(state, map, input: input, flow: flow, frame: frame)
        case .wait(let wait): return try await jsonataWaitBody(state, wait, input: input, flow: flow, entered: entered)
        case .pass:
            let (output, assigned) = try flow.jsonataFinish(output: input, outputTemplate: state.output, assign: state.assign, flow.jsonataBindings(input: input))
            return (output, Self.next(of: state), assigned)
        case .succeed:
            return (try flow.jsonataFinish(output: input, outputTemplate: state.output, assign: nil, flow.jsonataBindings(input: input)).0, nil, nil)
        case .choice(let choice): return try jsonataChoiceBody(state, choice, input: input, flow: flow)
        case .fail(let fail): throw try jsonataFailure(of: fail, input: input, flow: flow)
        }
    }

    @inline(never)
    nonisolated(nonsending) func jsonataTaskBody(_ state: State, _ task: TaskState, input: JSONValue, flow: DataFlow, attempt: Int) async throws(ExecutionFailure) -> (
        JSONValue, String?, JSONObject?
    ) {
        let (payload, timeout, heartbeat, bindings) = try jsonataTaskInput(state, task, input: input, flow: flow)
        let result = try await invokeTask(state, task, payload: payload, flow: flow, attempt: attempt, timeout: timeout, heartbeat: heartbeat)
        return try jsonataFinishWork(state, result: result, flow: flow, bindings)
    }

    /// A Task's `Arguments` (default: its input), its timeouts, and the bindings its `Output`
    /// and `Assign` use too.
    @inline(never)
    func jsonataTaskInput(_ state: State, _ task: TaskState, input: JSONValue, flow: DataFlow) throws(ExecutionFailure) -> (
        JSONValue, Int?, Int?, JSONataBindings
    ) {
        let bindings = flow.jsonataBindings(input: input)
        let payload = try state.arguments.map { template throws(ExecutionFailure) in try flow.jsonata(template, field: "Arguments", bindings) } ?? input
        let timeout = try flow.integer(task.timeoutSeconds, field: "TimeoutSeconds", input: input)
        let heartbeat = try flow.integer(task.heartbeatSeconds, field: "HeartbeatSeconds", input: input)
        return (payload, timeout, heartbeat, bindings)
    }

    /// What a Task, Parallel or Map state passes on from its work's result (`$states.result`
    /// added to the state's `bindings`).
    @inline(never)
    func jsonataFinishWork(_ state: State, result: JSONValue, flow: DataFlow, _ bindings: JSONataBindings) throws(ExecutionFailure) -> (
        JSONValue, String?, JSONObject?
    ) {
        try flow.checkSize(result)
        let bindings = bindings.adding("result", result, to: "states")
        let (output, assigned) = try flow.jsonataFinish(output: result, outputTemplate: state.output, assign: state.assign, bindings)
        return (output, Self.next(of: state), assigned)
    }

    @inline(never)
    nonisolated(nonsending) func jsonataParallelBody(
        _ state: State, _ branches: [StateMachineDefinition], input: JSONValue, flow: DataFlow, frame: Frame
    ) async throws(ExecutionFailure) -> (JSONValue, String?, JSONObject?) {
        let bindings = flow.jsonataBindings(input: input)
        let branchInput = try state.arguments.map { template throws(ExecutionFailure) in try flow.jsonata(template, field: "Arguments", bindings) } ?? input
        history.record("ParallelStateStarted", at: clock.now())
        let result = JSONValue.array(try await runBranches(branches, input: branchInput, frame: frame, parts: parts(of: state, flow: flow, frame: frame)))
        return try jsonataFinishWork(state, result: result, flow: flow, bindings)
    }

    @inline(never)
    nonisolated(nonsending) func jsonataMapBody(_ state: State, _ map: MapState, input: JSONValue, flow: DataFlow, frame: Frame) async throws(ExecutionFailure) -> (
        JSONValue, String?, JSONObject?
    ) {
        let result = try await runMap(state, map, input: input, flow: flow, frame: frame)
        return try jsonataFinishWork(state, result: result, flow: flow, flow.jsonataBindings(input: input))
    }

    @inline(never)
    nonisolated(nonsending) func jsonataWaitBody(_ state: State, _ wait: WaitState, input: JSONValue, flow: DataFlow, entered: Date) async throws(ExecutionFailure) -> (
        JSONValue, String?, JSONObject?
    ) {
        let seconds = try jsonataWaitSeconds(wait, input: input, flow: flow, entered: entered)
        await clock.sleep(seconds: seconds)
        if Task.isCancelled { throw ExecutionFailure(.runtime, cause: "The execution was stopped") }
        if clock.now() >= deadline { throw ExecutionFailure(Self.executionTimedOut) }
        let (output, assigned) = try flow.jsonataFinish(output: input, outputTemplate: state.output, assign: state.assign, flow.jsonataBindings(input: input))
        return (output, Self.next(of: state), assigned)
    }

    @inline(never)
    func jsonataWaitSeconds(_ wait: WaitState, input: JSONValue, flow: DataFlow, entered: Date) throws(ExecutionFailure) -> Double {
        guard case .timestampExpression(let text) = wait.duration else { return try waitSeconds(wait, flow: flow, input: input, entered: entered) }
        let timestamp = try flow.jsonata(.string(text), field: "Timestamp", flow.jsonataBindings(input: input))
        guard case .string(let value) = timestamp, let date = Timestamps.parse(value) else {
            throw flow.queryFailure(
                "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: \(timestamp.stringValue ?? timestamp.compactString)",
                field: "Timestamp")
        }
        return max(0, date.timeIntervalSince(clock.now()))
    }

    @inline(never)
    func jsonataChoiceBody(_ state: State, _ choice: ChoiceState, input: JSONValue, flow: DataFlow) throws(ExecutionFailure) -> (JSONValue, String?, JSONObject?) {
        let bindings = flow.jsonataBindings(input: input)
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
    }

    /// The failure a Fail state using JSONata ends its execution with.
    @inline(never)
    func jsonataFailure(of fail: FailState, input: JSONValue, flow: DataFlow) throws(ExecutionFailure) -> ExecutionFailure {
        let bindings = flow.jsonataBindings(input: input)
        func text(_ text: FailState.Text?, _ field: String) throws(ExecutionFailure) -> String? {
            switch text {
            case .expression(let source)?: return try flow.jsonataString(source, field: field, bindings)
            case .literal(let literal)?: return literal
            default: return nil
            }
        }
        let error = try text(fail.error, "Error")
        let cause = try text(fail.cause, "Cause")
        return ExecutionFailure(ErrorName(error ?? "States.Fail"), cause: cause)
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
