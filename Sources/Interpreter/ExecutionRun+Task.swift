import ASLErrors
import ASLModel
import Foundation
import JSONCore
import Synchronization

extension ExecutionRun {
    /// Invokes a Task's resource through the port, recording AWS's events: the `Lambda...`
    /// events for a Lambda function ARN, the `Task...` events otherwise.
    nonisolated(nonsending) func invokeTask(_ state: State, _ task: TaskState, payload: JSONValue, flow: DataFlow, attempt: Int, timeout: Int?, heartbeat: Int?) async throws(ExecutionFailure) -> JSONValue {
        // The events and the request are made out of line: this function's async frame,
        // allocated for every Task a Map runs, then holds little beyond what crosses the await.
        let kind = scheduleTask(state, task, payload: payload, timeout: timeout, heartbeat: heartbeat)
        let request = taskRequest(state, task, payload: payload, flow: flow, attempt: attempt, timeout: timeout, heartbeat: heartbeat)
        let token = flow.taskToken
        do throws(ExecutionFailure) {
            // No TimeoutSeconds and no HeartbeatSeconds: nothing to race (AWS's default timeout
            // is 99,999,999 seconds), and no frame for the race. Stopping the execution still
            // cancels the invocation. A plain task calls its invoker without the closure.
            let result =
                if timeout != nil || heartbeat != nil {
                    try await invokeWithTimeout(
                        request, timeout: timeout, heartbeat: heartbeat, heartbeatsFromStart: token == nil, operation: taskOperation(token: token, kind: kind))
                } else if token == nil {
                    try await interpreter.invoker.invoke(request)
                } else {
                    try await taskOperation(token: token, kind: kind)(request)
                }
            try taskSucceeded(task, kind: kind, result: result, flow: flow)
            return result
        } catch {
            taskFailed(kind: kind, error)
            throw error
        }
    }

    /// Which events a Task records: a Lambda function ARN's `LambdaFunction*`, or a service
    /// integration's `Task*` naming its service and action.
    struct TaskKind: Sendable {
        var isLambda: Bool
        var service: String
        var action: String
    }

    /// Records that the Task is scheduled and started.
    @inline(never)
    func scheduleTask(_ state: State, _ task: TaskState, payload: JSONValue, timeout: Int?, heartbeat: Int?) -> TaskKind {
        let isLambda = task.callsLambdaFunction
        let (service, action) = isLambda ? ("lambda", task.resource) : Self.serviceAndAction(task.resource)
        // (Details are built inside the call: a history that keeps no events never builds them.)
        if isLambda {
            history.record(
                "LambdaFunctionScheduled", at: clock.now(), detailsKey: "lambdaFunctionScheduledEventDetails",
                details: Self.scheduledDetails(["resource": .string(task.resource)], timeout: timeout, heartbeat: nil), payloads: [("input", payload)])
            history.record("LambdaFunctionStarted", at: clock.now())
        } else {
            history.record(
                "TaskScheduled", at: clock.now(), detailsKey: "taskScheduledEventDetails",
                details: Self.scheduledDetails(
                    ["resourceType": .string(service), "resource": .string(action), "region": .string(options.region)], timeout: timeout, heartbeat: heartbeat),
                payloads: [("parameters", payload)])
            history.record("TaskStarted", at: clock.now(), detailsKey: "taskStartedEventDetails", details: ["resourceType": .string(service), "resource": .string(action)])
        }
        return TaskKind(isLambda: isLambda, service: service, action: action)
    }

    /// What the Task's resource is asked.
    @inline(never)
    func taskRequest(_ state: State, _ task: TaskState, payload: JSONValue, flow: DataFlow, attempt: Int, timeout: Int?, heartbeat: Int?) -> TaskRequest {
        let token = flow.taskToken
        return TaskRequest(
            resource: token == nil ? task.resource : String(task.resource.dropLast(TaskState.callbackSuffix.count)), payload: payload,
            context: flow.lazyContext, executionArn: executionArn, executionName: options.name, stateName: state.name, stateEnteredTime: flow.entered,
            taskToken: token, attempt: attempt, timeoutSeconds: timeout, heartbeatSeconds: heartbeat)
    }

    /// The invocation itself. A callback task (`.waitForTaskToken`) invokes its resource with
    /// the token in hand, then waits for SendTaskSuccess or SendTaskFailure with that token.
    func taskOperation(token: String?, kind: TaskKind) -> @Sendable (TaskRequest) async throws(ExecutionFailure) -> JSONValue {
        let invoker = interpreter.invoker, callbacks = interpreter.callbacks, history = self.history, clock = self.clock
        let executionArn = self.executionArn
        return { request throws(ExecutionFailure) in
            guard let token else { return try await invoker.invoke(request) }
            // The token is valid from the moment the resource has it, as on AWS.
            try callbacks?.register(token: token, executionArn: executionArn, stateName: request.stateName)
            let answer: JSONValue
            do throws(ExecutionFailure) {
                answer = try await invoker.invoke(request)
            } catch {
                callbacks?.close(token: token)
                throw error
            }
            // A callback task's HeartbeatSeconds count from here, once its resource has answered.
            request.onHeartbeat?()
            history.record(
                "TaskSubmitted", at: clock.now(), detailsKey: "taskSubmittedEventDetails",
                details: ["resourceType": .string(kind.service), "resource": .string(kind.action)], payloads: [("output", answer)])
            guard let callbacks else {
                throw ExecutionFailure(.runtime, cause: "The task \(request.stateName) waits for a task token, and task tokens need the execution store (a Standard execution run by statesman run)")
            }
            return try await callbacks.wait(for: token, executionArn: executionArn, stateName: request.stateName, onHeartbeat: request.onHeartbeat ?? {})
        }
    }

    /// A result over the limit fails the task itself, naming the function ARN (or the service)
    /// as AWS does; a result within it is recorded.
    @inline(never)
    func taskSucceeded(_ task: TaskState, kind: TaskKind, result: JSONValue, flow: DataFlow) throws(ExecutionFailure) {
        if !flow.fitsPayloadLimit(result) {
            throw ExecutionFailure(
                .dataLimitExceeded,
                cause: "The state/task '\(kind.isLambda ? task.resource : kind.service)' returned a result with a size exceeding the maximum number of bytes service limit.")
        }
        if kind.isLambda {
            history.record(
                "LambdaFunctionSucceeded", at: clock.now(), detailsKey: "lambdaFunctionSucceededEventDetails",
                details: [:], payloads: [("output", result)])
        } else {
            history.record(
                "TaskSucceeded", at: clock.now(), detailsKey: "taskSucceededEventDetails",
                details: ["resourceType": .string(kind.service), "resource": .string(kind.action)], payloads: [("output", result)])
        }
    }

    /// Records a failed or timed-out Task.
    @inline(never)
    func taskFailed(kind: TaskKind, _ error: ExecutionFailure) {
        let isLambda = kind.isLambda
        var details = JSONObject()
        if !isLambda {
            details["resourceType"] = .string(kind.service)
            details["resource"] = .string(kind.action)
        }
        details["error"] = .string(error.error.rawValue)
        if let cause = error.cause { details["cause"] = .string(cause) }
        let type = error.error == .timeout ? (isLambda ? "LambdaFunctionTimedOut" : "TaskTimedOut") : (isLambda ? "LambdaFunctionFailed" : "TaskFailed")
        let key = error.error == .timeout ? (isLambda ? "lambdaFunctionTimedOutEventDetails" : "taskTimedOutEventDetails") : (isLambda ? "lambdaFunctionFailedEventDetails" : "taskFailedEventDetails")
        history.record(type, at: clock.now(), detailsKey: key, details: .object(details))
    }

    /// A `...Scheduled` event's details: `base`, then the timeouts that are set.
    private static func scheduledDetails(_ base: JSONObject, timeout: Int?, heartbeat: Int?) -> JSONValue {
        var details = base
        if let timeout { details["timeoutInSeconds"] = .int(Int64(timeout)) }
        if let heartbeat { details["heartbeatInSeconds"] = .int(Int64(heartbeat)) }
        return .object(details)
    }

    /// Invokes the task, racing it against `TimeoutSeconds` (default 99999999) and, when set,
    /// `HeartbeatSeconds` on the clock: whichever ends first wins. Both end as `States.Timeout`
    /// with an empty cause, as AWS reports them; a missed heartbeat is also matched by
    /// `States.HeartbeatTimeout`.
    /// `heartbeatsFromStart` false: the heartbeat window opens at the first heartbeat (a
    /// callback task's, once its resource has answered), not when the task starts.
    nonisolated(nonsending) func invokeWithTimeout(
        _ request: TaskRequest, timeout: Int?, heartbeat: Int?, heartbeatsFromStart: Bool = true,
        operation: @escaping @Sendable (TaskRequest) async throws(ExecutionFailure) -> JSONValue
    ) async throws(ExecutionFailure) -> JSONValue {
        // No TimeoutSeconds and no HeartbeatSeconds: nothing to race (AWS's default timeout is
        // 99,999,999 seconds). Stopping the execution still cancels the invocation.
        if timeout == nil, heartbeat == nil { return try await operation(request) }
        let clock = self.clock
        let seconds = Double(timeout ?? 99_999_999)
        var request = request
        let beats = HeartbeatRecord(heartbeatsFromStart ? clock.now() : .distantFuture)
        if heartbeat != nil { request.onHeartbeat = { [clock] in beats.beat(at: clock.now()) } }
        let outcome: Result<JSONValue, ExecutionFailure> = await withTaskGroup(of: Result<JSONValue, ExecutionFailure>?.self) { [request] group in
            group.addTask {
                do throws(ExecutionFailure) {
                    return .success(try await operation(request))
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                await clock.deadline(seconds: seconds)
                return Task.isCancelled ? nil : .failure(ExecutionFailure(.timeout, cause: ""))
            }
            if let heartbeat {
                group.addTask {
                    // Sleeps until the window after the latest heartbeat ends; a heartbeat in
                    // the meantime moves the window on.
                    var wait = Double(heartbeat)
                    while true {
                        await clock.deadline(seconds: wait)
                        if Task.isCancelled { return nil }
                        let quiet = clock.now().timeIntervalSince(beats.latest)
                        if quiet >= Double(heartbeat) { return .failure(.heartbeatTimeout) }
                        // Before the window opens, look again a window later.
                        wait = quiet < 0 ? Double(heartbeat) : Double(heartbeat) - quiet
                    }
                }
            }
            var first: Result<JSONValue, ExecutionFailure> = .failure(ExecutionFailure(.timeout, cause: ""))
            for await result in group {
                if let result {
                    first = result
                    break
                }
            }
            group.cancelAll()
            return first
        }
        return try outcome.get()
    }

    /// `arn:aws:states:::sqs:sendMessage.waitForTaskToken` → ("sqs", "sendMessage.waitForTaskToken").
    static func serviceAndAction(_ resource: String) -> (String, String) {
        let parts = resource.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        // arn:aws:states:::aws-sdk:s3:getObject → ("aws-sdk:s3", "getObject").
        if parts.count >= 8, parts[2] == "states", parts[5] == "aws-sdk" {
            return ("aws-sdk:" + parts[6], parts[7...].joined(separator: ":"))
        }
        if parts.count >= 7, parts[2] == "states" {
            return (parts[5], parts[6...].joined(separator: ":"))
        }
        return (parts.count > 2 ? parts[2] : "resource", resource)
    }
}

/// When a task last sent a heartbeat (its start counts as one).
final class HeartbeatRecord: Sendable {
    private let time: Mutex<Date>

    init(_ start: Date) { time = Mutex(start) }

    func beat(at now: Date) { time.withLock { $0 = now } }

    var latest: Date { time.withLock { $0 } }
}
