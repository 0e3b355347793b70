import ASLModel
import Foundation
import Interpreter
import JSONCore
import PluginHost
import TestSupport
import Testing
import Workflow

/// Task states through the Lambda invoker and real plugins: heartbeats, Lambda's shapes.
@Suite struct WorkflowTests {
    static func run(_ definition: String, input: JSONValue = [:], functions: [FunctionConfiguration]) async throws -> ExecutionOutcome {
        let (machine, problems) = DefinitionDecoder.decode(text: definition)
        #expect(problems.isEmpty, "\(problems)")
        let registry = FunctionRegistry(functions)
        let host = PluginHost(registry: registry, options: PluginHost.Options(paths: Fixtures.paths))
        let interpreter = Interpreter(invoker: LambdaTaskInvoker(host: host), clock: SystemClock())
        let outcome = await interpreter.run(try #require(machine), input: input)
        let pids = host.workerProcessIDs
        await host.shutdown()
        #expect(allReaped(pids))
        return outcome
    }

    @Test func missedHeartbeatIsStatesTimeoutCaughtAsHeartbeatTimeout() async throws {
        let definition = """
            {"StartAt": "Work", "States": {
              "Work": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:stall",
                       "HeartbeatSeconds": 1, "TimeoutSeconds": 30,
                       "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "Caught"}], "End": true},
              "Caught": {"Type": "Pass", "End": true}}}
            """
        let outcome = try await Self.run(
            definition, input: ["stall": 3600], functions: [Fixtures.handler("stall", "heartbeat_then_stall") { $0.timeoutSeconds = 60 }])
        #expect(outcome.status == .succeeded)
        #expect(outcome.output == ["Error": "States.Timeout", "Cause": ""])
        #expect(outcome.events.map(\.type).contains("LambdaFunctionTimedOut"))
    }

    /// 7.2 seconds of work against a 5-second heartbeat window, which also covers the worker's
    /// cold start (slow when the suite starts many Python workers at once).
    @Test func heartbeatsKeepALongTaskAlive() async throws {
        let definition = """
            {"StartAt": "Work", "States": {
              "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "HeartbeatSeconds": 5,
                       "Parameters": {"FunctionName": "beating", "Payload": {"beats": 24, "every": 0.3}},
                       "OutputPath": "$.Payload", "End": true}}}
            """
        let outcome = try await Self.run(definition, functions: [Fixtures.handler("beating", "heartbeats")])
        #expect(outcome.status == .succeeded, "\(outcome.error ?? "") \(outcome.cause ?? "")")
        #expect(outcome.output == "kept alive")
    }

    @Test func functionTimeoutIsSandboxTimedoutWithLambdaEvents() async throws {
        let definition = """
            {"StartAt": "Work", "States": {
              "Work": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:slow", "End": true}}}
            """
        let outcome = try await Self.run(definition, functions: [Fixtures.handler("slow", "hang") { $0.timeoutSeconds = 0.5 }])
        #expect(outcome.status == .failed)
        #expect(outcome.error == "Sandbox.Timedout")
        let cause = try JSONValue(parsing: try #require(outcome.cause))
        #expect(cause["errorType"] == "Sandbox.Timedout")
        #expect(cause["errorMessage"]?.stringValue?.hasSuffix("Task timed out after 0.50 seconds") == true)
        #expect(outcome.events.map(\.type) == [
            "ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionFailed", "ExecutionFailed",
        ])
    }

    @Test func unknownFunctionHasAWSCause() async throws {
        let definition = """
            {"StartAt": "Work", "States": {
              "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                       "Parameters": {"FunctionName": "arn:aws:lambda:eu-west-1:222222222222:function:missing:prod"}, "End": true}}}
            """
        let outcome = try await Self.run(definition, functions: [])
        #expect(outcome.error == "Lambda.ResourceNotFoundException")
        let cause = try #require(outcome.cause)
        #expect(cause.hasPrefix("Function not found: arn:aws:lambda:eu-west-1:222222222222:function:missing:prod (Service: AWSLambda; Status Code: 404;"))
        #expect(cause.hasSuffix("; Proxy: null)"))
    }

    @Test func retryAfterCrashReachesAFreshWorker() async throws {
        let definition = """
            {"StartAt": "Work", "States": {
              "Work": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:flaky",
                       "Retry": [{"ErrorEquals": ["Lambda.Unknown"], "IntervalSeconds": 1, "MaxAttempts": 1}], "End": true}}}
            """
        // The first worker crashes; the retry (after a real one-second back-off) gets a new one,
        // which crashes too: the error is still Lambda.Unknown, and both workers were reaped.
        let outcome = try await Self.run(definition, input: ["do": "crash"], functions: [Fixtures.misbehaving("flaky")])
        #expect(outcome.error == "Lambda.Unknown")
        #expect(outcome.events.filter { $0.type == "LambdaFunctionFailed" }.count == 2)
    }
}
