import ASLErrors
import ASLModel
import Foundation
import JSONCore
import PathExpressions
import PayloadTemplates

extension ExecutionRun {
    /// Records that a state is entered.
    func enter(_ state: State, input: JSONValue) -> StateEntry {
        let time = clock.now()
        let id = history.record(
            "\(state.typeName)StateEntered", at: time, detailsKey: "stateEnteredEventDetails", payloads: [("input", input)], stateName: state.name)
        return StateEntry(id: id, time: time)
    }

    /// Runs one state visit, entered as `entry`, with its Retry and Catch: returns its output
    /// and the next state (nil when the scope ends).
    ///
    /// Only the awaiting is done here; what happens between awaits is in synchronous helpers
    /// kept out of line, so this function's async frame (allocated per call, and for a child
    /// execution per child) holds little more than its own variables.
    nonisolated(nonsending) func runState(_ state: State, input: JSONValue, frame: Frame, entry: StateEntry) async throws(ExecutionFailure) -> (JSONValue, String?) {
        // Variables are read as of state entry.
        let variables = frame.variables.visible
        var retryCounts = [Int](repeating: 0, count: state.retry.count)
        var attempt = 0
        while true {
            let flow = attemptFlow(state, entry: entry, frame: frame, variables: variables, attempt: attempt)
            let failure: ExecutionFailure
            do {
                let (output, next, assigned) = try await body(state, input: input, flow: flow, frame: frame, attempt: attempt, entered: entry.time)
                try completeAttempt(state, output: output, assigned: assigned, frame: frame, flow: flow)
                return (output, next)
            } catch {
                failure = error
            }
            switch try afterFailure(failure, in: state, input: input, frame: frame, flow: flow, retryCounts: &retryCounts) {
            case .retry(let delay):
                attempt += 1
                await clock.sleep(seconds: delay)
            case .caught(let output, let next):
                return (output, next)
            }
        }
    }

    /// What follows a failed attempt that neither ends the execution nor stays uncaught.
    enum AfterFailure {
        case retry(after: Double)
        case caught(output: JSONValue, next: String)
    }

    /// The data flow of one attempt at a state (a callback task gets a new token each time).
    @inline(never)
    func attemptFlow(_ state: State, entry: StateEntry, frame: Frame, variables: JSONObject, attempt: Int) -> DataFlow {
        let isTask: Bool
        if case .task = state.kind { isTask = true } else { isTask = false }
        let retryCount = isTask ? attempt : nil
        let token: String? = if case .task(let task) = state.kind, task.waitsForTaskToken { TaskTokens.make() } else { nil }
        let entered = entry.time
        return DataFlow(
            state: state, enteredEventId: entry.id, entered: entered,
            attempt: AttemptScope(.init(run: self, stateName: state.name, entered: entered, retryCount: retryCount, frame: frame, taskToken: token)),
            variables: variables, taskToken: token)
    }

    /// A successful attempt: the output's size, the variables it assigns, its exit event.
    @inline(never)
    func completeAttempt(_ state: State, output: JSONValue, assigned: JSONObject?, frame: Frame, flow: DataFlow) throws(ExecutionFailure) {
        try flow.checkSize(output)
        if let assigned { try assign(assigned, in: frame, flow: flow) }
        if case .fail = state.kind {} else {
            history.record(
                "\(state.typeName)StateExited", at: clock.now(), detailsKey: "stateExitedEventDetails",
                payloads: [("output", output)], stateName: state.name)
        }
    }

    /// A failed attempt: retried (counted in `retryCounts`), caught, or thrown on — States.Runtime
    /// and terminal failures end the execution without Retry or Catch.
    @inline(never)
    func afterFailure(
        _ error: ExecutionFailure, in state: State, input: JSONValue, frame: Frame, flow: DataFlow, retryCounts: inout [Int]
    ) throws(ExecutionFailure) -> AfterFailure {
        var failure = error
        if let location = failure.evaluationLocation {
            // Recorded once, where it happened, not again by the states around it.
            history.record(
                "EvaluationFailed", at: clock.now(), detailsKey: "evaluationFailedEventDetails",
                details: [
                    "error": .string(failure.error.rawValue), "cause": .string(failure.cause ?? ""), "location": .string(location),
                    "state": .string(state.name),
                ])
            failure.evaluationLocation = nil
        }
        if failure.terminal || failure.error == .runtime || failure.error == Self.executionTimedOut || failure.error == Self.executionAborted
            || failure.error == journalFailed
        {
            throw failure
        }
        if let index = state.retry.firstIndex(where: { Self.matches($0.errorEquals, failure) }) {
            let retrier = state.retry[index]
            if retryCounts[index] < retrier.maxAttempts {
                retryCounts[index] += 1
                return .retry(after: Self.backoff(retrier, attempt: retryCounts[index]))
            }
        }
        // Not retried: a Map or Parallel state records its failure before Catch or the end.
        switch state.kind {
        case .map, .parallel: history.record("\(state.typeName)StateFailed", at: clock.now())
        default: break
        }
        guard let catcher = state.catchers.first(where: { Self.matches($0.errorEquals, failure) }) else { throw failure }
        let output: JSONValue
        if state.queryLanguage == .jsonata {
            let (caught, assigned) = try jsonataCatch(catcher, failure: failure, input: input, flow: flow)
            output = caught
            if let assigned { try assign(assigned, in: frame, flow: flow) }
        } else {
            output = try flow.place(failure.errorOutput, into: input, catcher.resultPath)
            if let assigned = try flow.assignments(catcher.assign, input: failure.errorOutput) { try assign(assigned, in: frame, flow: flow) }
        }
        history.record(
            "\(state.typeName)StateExited", at: clock.now(), detailsKey: "stateExitedEventDetails",
            payloads: [("output", output)], stateName: state.name)
        return .caught(output: output, next: catcher.next)
    }

    /// Assigns variables in the frame's scope, within AWS's size limits (over them, the execution
    /// fails with `States.DataLimitExceeded`).
    func assign(_ assigned: JSONObject, in frame: Frame, flow: DataFlow) throws(ExecutionFailure) {
        if let problem = frame.variables.limitProblem(assigned) {
            var failure = ExecutionFailure(.dataLimitExceeded, cause: flow.runtimeCause(problem))
            failure.terminal = true
            throw failure
        }
        frame.variables.assign(assigned)
    }

    /// Whether an `ErrorEquals` list catches `error` (terminal failures and `States.Runtime`
    /// never reach it): `States.ALL` matches everything; `States.TaskFailed` everything but
    /// `States.Timeout`; `States.HeartbeatTimeout` a heartbeat expiry reported as a timeout.
    static func matches(_ errorEquals: [String], _ failure: ExecutionFailure) -> Bool {
        let error = failure.error
        for name in errorEquals {
            if name == error.rawValue { return true }
            if name == ErrorName.heartbeatTimeout.rawValue && failure.heartbeatExpired { return true }
            if name == ErrorName.all.rawValue { return true }
            if name == ErrorName.taskFailed.rawValue && error != .timeout { return true }
        }
        return false
    }

    /// The delay before retry number `attempt` (from 1): IntervalSeconds × BackoffRate^(n−1),
    /// capped by MaxDelaySeconds, with FULL jitter drawing uniformly below it.
    static func backoff(_ retrier: Retrier, attempt: Int) -> Double {
        var delay = Double(retrier.intervalSeconds) * pow(retrier.backoffRate, Double(attempt - 1))
        if let cap = retrier.maxDelaySeconds { delay = min(delay, Double(cap)) }
        if retrier.jitterStrategy == "FULL" { delay = Double.random(in: 0...delay) }
        return delay
    }

    /// The work of each state type. Returns the output, the next state, and the variables the
    /// state assigns.
    ///
    /// Each kind has its own function: in one function, every kind's temporaries shared one
    /// async frame of 12 KB, allocated for each state visit.
    @inline(never)
    nonisolated(nonsending) func body(
        _ state: State, input: JSONValue, flow: DataFlow, frame: Frame, attempt: Int, entered: Date
    ) async throws(ExecutionFailure) -> (JSONValue, String?, JSONObject?) {
        if state.queryLanguage == .jsonata {
            return try await jsonataBody(state, input: input, flow: flow, frame: frame, attempt: attempt, entered: entered)
        }
        switch state.kind {
        case .task(let task): return try await taskBody(state, task, input: input, flow: flow, attempt: attempt)
        case .parallel(let branches): return try await parallelBody(state, branches, input: input, flow: flow, frame: frame)
        case .map(let map): return try await mapBody(state, map, input: input, flow: flow, frame: frame)
        case .wait(let wait): return try await waitBody(state, wait, input: input, flow: flow, entered: entered)
        case .pass(let literal): return try passBody(state, literal, input: input, flow: flow)
        case .choice(let choice): return try choiceBody(state, choice, input: input, flow: flow)
        case .succeed: return (try flow.apply(state.outputPath, to: try flow.apply(state.inputPath, to: input)), nil, nil)
        case .fail(let fail): throw try failure(of: fail, input: input, flow: flow)
        }
    }

    /// The state's `Next`, when it has one.
    static func next(of state: State) -> String? {
        if case .next(let name) = state.transition { name } else { nil }
    }

    @inline(never)
    nonisolated(nonsending) func taskBody(_ state: State, _ task: TaskState, input: JSONValue, flow: DataFlow, attempt: Int) async throws(ExecutionFailure) -> (JSONValue, String?, JSONObject?) {
        let (payload, timeout, heartbeat) = try taskInput(state, task, input: input, flow: flow)
        let result = try await invokeTask(state, task, payload: payload, flow: flow, attempt: attempt, timeout: timeout, heartbeat: heartbeat)
        let (output, assigned) = try flow.finish(result, input: input)
        return (output, Self.next(of: state), assigned)
    }

    /// A Task's payload (`InputPath`, then `Parameters`) and its timeouts.
    @inline(never)
    func taskInput(_ state: State, _ task: TaskState, input: JSONValue, flow: DataFlow) throws(ExecutionFailure) -> (JSONValue, Int?, Int?) {
        let effective = try flow.apply(state.inputPath, to: input)
        var payload = effective
        if let parameters = state.parameters { payload = try flow.evaluate(parameters, input: effective, pathFailure: .parameterPathFailure) }
        let timeout = try flow.integer(task.timeoutSeconds, field: "TimeoutSeconds", input: effective)
        let heartbeat = try flow.integer(task.heartbeatSeconds, field: "HeartbeatSeconds", input: effective)
        return (payload, timeout, heartbeat)
    }

    @inline(never)
    nonisolated(nonsending) func parallelBody(
        _ state: State, _ branches: [StateMachineDefinition], input: JSONValue, flow: DataFlow, frame: Frame
    ) async throws(ExecutionFailure) -> (JSONValue, String?, JSONObject?) {
        let effective = try flow.apply(state.inputPath, to: input)
        var branchInput = effective
        if let parameters = state.parameters { branchInput = try flow.evaluate(parameters, input: effective, pathFailure: .parameterPathFailure) }
        history.record("ParallelStateStarted", at: clock.now())
        let result = JSONValue.array(try await runBranches(branches, input: branchInput, frame: frame, parts: parts(of: state, flow: flow, frame: frame)))
        let (output, assigned) = try flow.finish(result, input: input)
        return (output, Self.next(of: state), assigned)
    }

    @inline(never)
    nonisolated(nonsending) func mapBody(_ state: State, _ map: MapState, input: JSONValue, flow: DataFlow, frame: Frame) async throws(ExecutionFailure) -> (JSONValue, String?, JSONObject?) {
        let effective = try flow.apply(state.inputPath, to: input)
        let result = try await runMap(state, map, input: effective, flow: flow, frame: frame)
        let (output, assigned) = try flow.finish(result, input: input)
        return (output, Self.next(of: state), assigned)
    }

    @inline(never)
    nonisolated(nonsending) func waitBody(_ state: State, _ wait: WaitState, input: JSONValue, flow: DataFlow, entered: Date) async throws(ExecutionFailure) -> (JSONValue, String?, JSONObject?) {
        let effective = try flow.apply(state.inputPath, to: input)
        let seconds = try waitSeconds(wait, flow: flow, input: effective, entered: entered)
        await clock.sleep(seconds: seconds)
        // A wait cut short by stopping the execution does not complete the state.
        if Task.isCancelled { throw ExecutionFailure(.runtime, cause: "The execution was stopped") }
        if clock.now() >= deadline { throw ExecutionFailure(Self.executionTimedOut) }
        let assigned = try flow.assignments(state.assign, input: effective)
        return (try flow.apply(state.outputPath, to: effective), Self.next(of: state), assigned)
    }

    @inline(never)
    func passBody(_ state: State, _ literal: JSONValue?, input: JSONValue, flow: DataFlow) throws(ExecutionFailure) -> (JSONValue, String?, JSONObject?) {
        let effective = try flow.apply(state.inputPath, to: input)
        var result = effective
        if let parameters = state.parameters { result = try flow.evaluate(parameters, input: effective, pathFailure: .runtime) }
        if let literal { result = literal }
        try flow.checkSize(result)
        let assigned = try flow.assignments(state.assign, input: result)
        let output = try flow.apply(state.outputPath, to: try flow.place(result, into: input, state.resultPath))
        return (output, Self.next(of: state), assigned)
    }

    @inline(never)
    func choiceBody(_ state: State, _ choice: ChoiceState, input: JSONValue, flow: DataFlow) throws(ExecutionFailure) -> (JSONValue, String?, JSONObject?) {
        let effective = try flow.apply(state.inputPath, to: input)
        let scope = flow.scope(effective)
        for rule in choice.choices where try ChoiceEvaluation(flow: flow).evaluate(rule, in: scope) {
            let assigned = try flow.assignments(rule.assign, input: effective)
            return (try flow.apply(state.outputPath, to: effective), rule.next, assigned)
        }
        guard let fallback = choice.defaultState else {
            throw ExecutionFailure(.noChoiceMatched, cause: flow.runtimeCause("No Choice rule matched and no Default state was specified."))
        }
        let assigned = try flow.assignments(state.assign, input: effective)
        return (try flow.apply(state.outputPath, to: effective), fallback, assigned)
    }

    /// The failure a Fail state ends its execution with.
    @inline(never)
    func failure(of fail: FailState, input: JSONValue, flow: DataFlow) throws(ExecutionFailure) -> ExecutionFailure {
        let error = try failText(fail.error, field: "Error", flow: flow, input: input)
        let cause = try failText(fail.cause, field: "Cause", flow: flow, input: input)
        return ExecutionFailure(ErrorName(error ?? "States.Fail"), cause: cause)
    }

    /// The seconds a Wait state entered at `entered` still waits, from now (less than its
    /// `Seconds` when it continues after a crash).
    func waitSeconds(_ wait: WaitState, flow: DataFlow, input: JSONValue, entered: Date) throws(ExecutionFailure) -> Double {
        switch wait.duration {
        case .seconds(let source):
            let seconds = Double(try flow.integer(source, field: "Seconds", input: input) ?? 0)
            return max(0, seconds - max(0, clock.now().timeIntervalSince(entered)))
        case .timestamp(let text):
            guard let date = Timestamps.parse(text) else { throw flow.runtime("The Timestamp field does not hold a valid timestamp: \(text)") }
            return max(0, date.timeIntervalSince(clock.now()))
        case .timestampPath(let path):
            let value: JSONValue
            do { value = try path.select(in: flow.scope(input)) } catch {
                throw flow.runtime("Invalid path '\(path.text)' : \(error.message)")
            }
            guard case .string(let text) = value, let date = Timestamps.parse(text) else {
                throw flow.runtime("The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: \(path.text) == \(value.stringValue ?? value.compactString)")
            }
            return max(0, date.timeIntervalSince(clock.now()))
        case .timestampExpression:
            throw flow.runtime("JSONata expressions are not supported yet in 'Timestamp'")
        }
    }

    /// A Fail state's `Error` or `Cause`, given literally, by a path, or by an intrinsic.
    func failText(_ text: FailState.Text?, field: String, flow: DataFlow, input: JSONValue) throws(ExecutionFailure) -> String? {
        switch text {
        case nil: return nil
        case .literal(let s): return s
        case .expression: throw flow.runtime("JSONata expressions are not supported yet in '\(field)'")
        case .path(let selector):
            do {
                let value = try selector.select(in: flow.scope(input))
                return value.stringValue ?? value.compactString
            } catch {
                throw flow.runtime("The JSONPath '\(selector.text)' specified for the field '\(field)Path' could not be found in the input '\(input.compactString)'")
            }
        case .intrinsic(let call):
            let template: JSONValue = ["\(field)Path.$": .string(call)]
            guard let compiled = try? PayloadTemplate(template) else { return nil }
            let value = try flow.evaluate(compiled, input: input, pathFailure: .runtime)
            let result = value["\(field)Path"] ?? .null
            return result.stringValue ?? result.compactString
        }
    }
}

/// A state visit's `...StateEntered` event: its id and time.
struct StateEntry: Sendable {
    var id: Int
    var time: Date
}
