import ASLErrors
import ASLModel
import Foundation
import JSONCore

extension ExecutionRun {
    /// Invokes a Task's resource through the port, recording AWS's events: the `Lambda...`
    /// events for a Lambda function ARN, the `Task...` events otherwise.
    func invokeTask(_ state: State, _ task: TaskState, payload: JSONValue, flow: DataFlow, attempt: Int, timeout: Int?, heartbeat: Int?) async throws(ExecutionFailure) -> JSONValue {
        let isLambda = task.resource.hasPrefix("arn:") && task.resource.split(separator: ":").dropFirst(2).first == "lambda"
        let (service, action) = Self.serviceAndAction(task.resource)
        if isLambda {
            var details = JSONObject()
            details["resource"] = .string(task.resource)
            if let timeout { details["timeoutInSeconds"] = .int(Int64(timeout)) }
            history.record(
                "LambdaFunctionScheduled", at: clock.now(), detailsKey: "lambdaFunctionScheduledEventDetails", details: .object(details),
                payloads: [("input", payload)])
            history.record("LambdaFunctionStarted", at: clock.now())
        } else {
            var details = JSONObject()
            details["resourceType"] = .string(service)
            details["resource"] = .string(action)
            details["region"] = .string(options.region)
            if let timeout { details["timeoutInSeconds"] = .int(Int64(timeout)) }
            if let heartbeat { details["heartbeatInSeconds"] = .int(Int64(heartbeat)) }
            history.record(
                "TaskScheduled", at: clock.now(), detailsKey: "taskScheduledEventDetails", details: .object(details),
                payloads: [("parameters", payload)])
            history.record("TaskStarted", at: clock.now(), detailsKey: "taskStartedEventDetails", details: ["resourceType": .string(service), "resource": .string(action)])
        }
        let request = TaskRequest(
            resource: task.resource, payload: payload, context: flow.context, stateName: state.name, attempt: attempt,
            timeoutSeconds: timeout, heartbeatSeconds: heartbeat)
        do {
            let result = try await invokeWithTimeout(request, timeout: timeout)
            if isLambda {
                history.record(
                    "LambdaFunctionSucceeded", at: clock.now(), detailsKey: "lambdaFunctionSucceededEventDetails",
                    details: [:], payloads: [("output", result)])
            } else {
                history.record(
                    "TaskSucceeded", at: clock.now(), detailsKey: "taskSucceededEventDetails",
                    details: ["resourceType": .string(service), "resource": .string(action)], payloads: [("output", result)])
            }
            return result
        } catch {
            var details = JSONObject()
            if !isLambda {
                details["resourceType"] = .string(service)
                details["resource"] = .string(action)
            }
            details["error"] = .string(error.error.rawValue)
            if let cause = error.cause { details["cause"] = .string(cause) }
            let type = error.error == .timeout ? (isLambda ? "LambdaFunctionTimedOut" : "TaskTimedOut") : (isLambda ? "LambdaFunctionFailed" : "TaskFailed")
            let key = error.error == .timeout ? (isLambda ? "lambdaFunctionTimedOutEventDetails" : "taskTimedOutEventDetails") : (isLambda ? "lambdaFunctionFailedEventDetails" : "taskFailedEventDetails")
            history.record(type, at: clock.now(), detailsKey: key, details: .object(details))
            throw error
        }
    }

    /// Invokes the task, racing it against `TimeoutSeconds` (default 99999999) on the clock:
    /// whichever ends first wins, and a timeout is `States.Timeout` with an empty cause, as AWS
    /// reports it.
    func invokeWithTimeout(_ request: TaskRequest, timeout: Int?) async throws(ExecutionFailure) -> JSONValue {
        let invoker = interpreter.invoker
        let clock = self.clock
        let seconds = Double(timeout ?? 99_999_999)
        let outcome: Result<JSONValue, ExecutionFailure> = await withTaskGroup(of: Result<JSONValue, ExecutionFailure>?.self) { group in
            group.addTask {
                do throws(ExecutionFailure) {
                    return .success(try await invoker.invoke(request))
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                await clock.deadline(seconds: seconds)
                return Task.isCancelled ? nil : .failure(ExecutionFailure(.timeout, cause: ""))
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
        if parts.count >= 7, parts[2] == "states" {
            return (parts[5], parts[6...].joined(separator: ":"))
        }
        return (parts.count > 2 ? parts[2] : "resource", resource)
    }
}
