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
    func runState(_ state: State, input: JSONValue, frame: Frame, entry: StateEntry) async throws(ExecutionFailure) -> (JSONValue, String?) {
        let entered = entry.time
        let enteredId = entry.id
        // Variables are read as of state entry.
        let variables = frame.variables.visible
        var retryCounts = [Int](repeating: 0, count: state.retry.count)
        var attempt = 0
        while true {
            let isTask: Bool
            if case .task = state.kind { isTask = true } else { isTask = false }
            let retryCount = isTask ? attempt : nil
            // A callback task gets a new token for each attempt.
            let token: String? = if case .task(let task) = state.kind, task.resource.hasSuffix(Self.callbackSuffix) { TaskTokens.make() } else { nil }
            let flow = DataFlow(
                state: state, enteredEventId: enteredId, entered: entered,
                lazyContext: LazyJSON { [self] in context(stateName: state.name, entered: entered, retryCount: retryCount, frame: frame, taskToken: token) },
                variables: variables, taskToken: token)
            do {
                let (output, next, assigned) = try await body(state, input: input, flow: flow, frame: frame, attempt: attempt, entered: entered)
                try flow.checkSize(output)
                if let assigned { try assign(assigned, in: frame, flow: flow) }
                if case .fail = state.kind {} else {
                    history.record(
                        "\(state.typeName)StateExited", at: clock.now(), detailsKey: "stateExitedEventDetails",
                        payloads: [("output", output)], stateName: state.name)
                }
                return (output, next)
            } catch {
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
                // States.Runtime and terminal failures end the execution: no Retry, no Catch.
                if failure.terminal || failure.error == .runtime || failure.error == Self.executionTimedOut || failure.error == Self.executionAborted
                    || failure.error == journalFailed
                {
                    throw failure
                }
                if let index = state.retry.firstIndex(where: { Self.matches($0.errorEquals, failure) }) {
                    let retrier = state.retry[index]
                    if retryCounts[index] < retrier.maxAttempts {
                        retryCounts[index] += 1
                        attempt += 1
                        await clock.sleep(seconds: Self.backoff(retrier, attempt: retryCounts[index]))
                        continue
                    }
                }
                // Not retried: a Map or Parallel state records its failure before Catch or the end.
                switch state.kind {
                case .map, .parallel: history.record("\(state.typeName)StateFailed", at: clock.now())
                default: break
                }
                if let catcher = state.catchers.first(where: { Self.matches($0.errorEquals, failure) }) {
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
                    return (output, catcher.next)
                }
                throw failure
            }
        }
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
    func body(
        _ state: State, input: JSONValue, flow: DataFlow, frame: Frame, attempt: Int, entered: Date
    ) async throws(ExecutionFailure) -> (JSONValue, String?, JSONObject?) {
        if state.queryLanguage == .jsonata {
            return try await jsonataBody(state, input: input, flow: flow, frame: frame, attempt: attempt, entered: entered)
        }
        let next: String? = if case .next(let name) = state.transition { name } else { nil }
        switch state.kind {
        case .pass(let literal):
            let effective = try flow.apply(state.inputPath, to: input)
            var result = effective
            if let parameters = state.parameters { result = try flow.evaluate(parameters, input: effective, pathFailure: .runtime) }
            if let literal { result = literal }
            try flow.checkSize(result)
            let assigned = try flow.assignments(state.assign, input: result)
            let output = try flow.apply(state.outputPath, to: try flow.place(result, into: input, state.resultPath))
            return (output, next, assigned)

        case .task(let task):
            let effective = try flow.apply(state.inputPath, to: input)
            var payload = effective
            if let parameters = state.parameters { payload = try flow.evaluate(parameters, input: effective, pathFailure: .parameterPathFailure) }
            let timeout = try flow.integer(task.timeoutSeconds, field: "TimeoutSeconds", input: effective)
            let heartbeat = try flow.integer(task.heartbeatSeconds, field: "HeartbeatSeconds", input: effective)
            let result = try await invokeTask(state, task, payload: payload, flow: flow, attempt: attempt, timeout: timeout, heartbeat: heartbeat)
            let (output, assigned) = try flow.finish(result, input: input)
            return (output, next, assigned)

        case .choice(let choice):
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

        case .wait(let wait):
            let effective = try flow.apply(state.inputPath, to: input)
            let seconds = try waitSeconds(wait, flow: flow, input: effective, entered: entered)
            await clock.sleep(seconds: seconds)
            // A wait cut short by stopping the execution does not complete the state.
            if Task.isCancelled { throw ExecutionFailure(.runtime, cause: "The execution was stopped") }
            if clock.now() >= deadline { throw ExecutionFailure(Self.executionTimedOut) }
            let assigned = try flow.assignments(state.assign, input: effective)
            return (try flow.apply(state.outputPath, to: effective), next, assigned)

        case .succeed:
            let effective = try flow.apply(state.inputPath, to: input)
            return (try flow.apply(state.outputPath, to: effective), nil, nil)

        case .fail(let fail):
            let error = try failText(fail.error, field: "Error", flow: flow, input: input)
            let cause = try failText(fail.cause, field: "Cause", flow: flow, input: input)
            throw ExecutionFailure(ErrorName(error ?? "States.Fail"), cause: cause)

        case .parallel(let branches):
            let effective = try flow.apply(state.inputPath, to: input)
            var branchInput = effective
            if let parameters = state.parameters { branchInput = try flow.evaluate(parameters, input: effective, pathFailure: .parameterPathFailure) }
            history.record("ParallelStateStarted", at: clock.now())
            let result = JSONValue.array(try await runBranches(branches, input: branchInput, frame: frame, parts: parts(of: state, flow: flow, frame: frame)))
            let (output, assigned) = try flow.finish(result, input: input)
            return (output, next, assigned)

        case .map(let map):
            let effective = try flow.apply(state.inputPath, to: input)
            let result = try await runMap(state, map, input: effective, flow: flow, frame: frame)
            let (output, assigned) = try flow.finish(result, input: input)
            return (output, next, assigned)
        }
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
