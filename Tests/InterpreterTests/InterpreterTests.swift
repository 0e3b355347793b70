import ASLErrors
import ASLModel
import Foundation
import Interpreter
import JSONCore
import Testing

/// A task invoker that answers from a script: per resource, a list of outcomes used in turn
/// (the last one repeats), and a record of every request.
final class ScriptedInvoker: TaskInvoker, @unchecked Sendable {
    // @unchecked: `script` and `log` are only touched under `lock`.
    enum Step {
        case succeed(JSONValue)
        case fail(String, String)
        case echo
        case hang
    }

    private let lock = NSLock()
    private var script: [String: [Step]]
    private var log: [TaskRequest] = []

    init(_ script: [String: [Step]]) { self.script = script }

    var requests: [TaskRequest] { lock.withLock { log } }

    func invoke(_ request: TaskRequest) async throws(ExecutionFailure) -> JSONValue {
        let step: Step = lock.withLock {
            log.append(request)
            var steps = script[request.resource] ?? [.echo]
            let next = steps.count > 1 ? steps.removeFirst() : steps[0]
            script[request.resource] = steps
            return next
        }
        switch step {
        case .succeed(let value): return value
        case .fail(let error, let cause): throw ExecutionFailure(ErrorName(error), cause: cause)
        case .echo: return request.payload
        case .hang:
            try? await Task.sleep(nanoseconds: 60_000_000_000)
            return .null
        }
    }
}

func machine(_ text: String) throws -> StateMachineDefinition {
    let (definition, problems) = DefinitionDecoder.decode(text: text)
    #expect(problems.isEmpty, "\(problems)")
    return try #require(definition)
}

let lambda = "arn:aws:lambda:us-east-1:111111111111:function:work"

@Suite struct InterpreterTests {
    /// Tokens are passed on command lines (`statesman tasks send-success TOKEN`): none may
    /// start with `-`, which the argument parser would read as an option.
    @Test func taskTokensAreSafeCommandLineArguments() {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let tokens = (0..<20_000).map { _ in TaskTokens.make() }
        #expect(tokens.allSatisfy { $0.count == 128 && $0.first!.isLetter && $0.allSatisfy(allowed.contains) })
        #expect(Set(tokens).count == tokens.count)
        // Every character of the alphabet still appears after the first place.
        #expect(Set(tokens.flatMap { $0.dropFirst() }) == allowed)
    }

    @Test func retriesWithBackoffThenSucceeds() async throws {
        let definition = try machine("""
            {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "\(lambda)",
              "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 3, "MaxDelaySeconds": 10}],
              "End": true}}}
            """)
        let invoker = ScriptedInvoker([lambda: [.fail("Flaky", "1"), .fail("Flaky", "2"), .fail("Flaky", "3"), .succeed(["ok": true])]])
        let clock = ManualClock()
        let outcome = await Interpreter(invoker: invoker, clock: clock).run(definition, input: [:])
        #expect(outcome.status == .succeeded)
        #expect(outcome.output == ["ok": true])
        // 2, 2×3, 2×9 capped at 10.
        #expect(clock.sleeps == [2, 6, 10])
        #expect(invoker.requests.map(\.attempt) == [0, 1, 2, 3])
        #expect(invoker.requests.last?.context["State"]?["RetryCount"] == 3)
        #expect(outcome.events.map(\.type).filter { $0.hasPrefix("Lambda") }.count == 12)
    }

    /// `$$.Execution.StartTime` and `$$.State.EnteredTime` as AWS writes them, milliseconds
    /// always three digits, against Foundation's ISO 8601 formatter.
    @Test(arguments: [0, 951_782_400_000, 1_700_000_000_007, 1_709_164_799_999, 4_102_444_800_120, 253_402_300_799_999])
    func contextTimestampsAreISO8601WithMilliseconds(milliseconds: Int64) async throws {
        let definition = try machine("""
            {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"started.$": "$$.Execution.StartTime", "entered.$": "$$.State.EnteredTime"}, "End": true}}}
            """)
        let start = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        let outcome = await Interpreter(invoker: ScriptedInvoker([:]), clock: ManualClock(start: start)).run(definition, input: [:])
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        let expected = JSONValue.string(formatter.string(from: start))
        #expect(outcome.output == ["started": expected, "entered": expected])
    }

    @Test func catchPlacesTheErrorOutputAtResultPath() async throws {
        let definition = try machine("""
            {"StartAt": "T", "States": {
              "T": {"Type": "Task", "Resource": "\(lambda)", "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Handled"}], "End": true},
              "Handled": {"Type": "Pass", "End": true}}}
            """)
        let invoker = ScriptedInvoker([lambda: [.fail("Boom", "it broke")]])
        let outcome = await Interpreter(invoker: invoker, clock: ManualClock()).run(definition, input: ["id": 7])
        #expect(outcome.status == .succeeded)
        #expect(outcome.output == ["id": 7, "error": ["Error": "Boom", "Cause": "it broke"]])
        #expect(outcome.events.map(\.type) == [
            "ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionFailed",
            "TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded",
        ])
    }

    @Test func timeoutIsNotATaskFailureAndIsNotCaughtByTaskFailed() async throws {
        let definition = try machine("""
            {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "TimeoutSeconds": 5,
              "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}], "End": true},
              "Caught": {"Type": "Succeed"}}}
            """)
        let clock = ManualClock()
        let invoker = ScriptedInvoker(["arn:aws:states:::sqs:sendMessage": [.hang]])
        async let outcome = Interpreter(invoker: invoker, clock: clock).run(definition, input: [:])
        // Let the task start, then move time past its timeout.
        while invoker.requests.isEmpty { await Task.yield() }
        clock.advance(by: 6)
        let result = await outcome
        #expect(result.status == .failed)
        #expect(result.error == "States.Timeout")
        #expect(result.cause == "")
        #expect(result.events.map(\.type).contains("TaskTimedOut"))
    }

    @Test func runtimeErrorsAreNeverCaught() async throws {
        let definition = try machine("""
            {"StartAt": "P", "States": {"P": {"Type": "Pass", "OutputPath": "$.missing",
              "End": true}}}
            """)
        let outcome = await Interpreter(clock: ManualClock()).run(definition, input: ["a": 1])
        #expect(outcome.error == "States.Runtime")
        #expect(outcome.cause == "An error occurred while executing the state 'P' (entered at the event id #2). Invalid path '$.missing' : No results for path: $['missing']")
    }

    @Test func parallelPropagatesTheBranchErrorAndMapPassesItems() async throws {
        let definition = try machine("""
            {"StartAt": "Each", "States": {
              "Each": {"Type": "Map", "ItemsPath": "$.xs", "MaxConcurrency": 2, "ItemSelector": {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"},
                "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "\(lambda)", "End": true}}}, "ResultPath": "$.out", "Next": "Both"},
              "Both": {"Type": "Parallel", "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 1, "End": true}}},
                {"StartAt": "B", "States": {"B": {"Type": "Fail", "Error": "BranchBroke", "Cause": "b"}}}], "End": true}}}
            """)
        let outcome = await Interpreter(invoker: ScriptedInvoker([:]), clock: ManualClock()).run(definition, input: ["xs": ["a", "b", "c"]])
        #expect(outcome.status == .failed)
        #expect(outcome.error == "BranchBroke")
        let mapExit = outcome.events.first { $0.type == "MapStateExited" }
        let output = try #require(mapExit?.payload("output"))
        #expect(output["out"] == [["v": "a", "i": 0], ["v": "b", "i": 1], ["v": "c", "i": 2]])
    }

    /// Iterations run a few at a time, each task taking the next item as it finishes one;
    /// after a failure no further iteration starts, and the ones running finish.
    @Test func mapIterationsRunInOrderAndStopAfterAFailure() async throws {
        func map(_ limit: Int) throws -> StateMachineDefinition {
            try machine("""
                {"StartAt": "Each", "States": {
                  "Each": {"Type": "Map", "ItemsPath": "$.xs", "MaxConcurrency": \(limit), "End": true,
                    "ItemProcessor": {"StartAt": "Check", "States": {
                      "Check": {"Type": "Choice", "Choices": [{"Variable": "$", "StringEquals": "bad", "Next": "Broke"}], "Default": "Keep"},
                      "Keep": {"Type": "Pass", "End": true},
                      "Broke": {"Type": "Fail", "Error": "Bad", "Cause": "bad item"}}}}}}
                """)
        }
        let items = (0..<100).map { JSONValue.string("item \($0)") }
        let whole = await Interpreter(clock: ManualClock()).run(try map(3), input: ["xs": .array(items)])
        #expect(whole.output == .array(items))
        #expect(whole.events.filter { $0.type == "MapIterationStarted" }.count == 100)
        #expect(whole.events.filter { $0.type == "MapIterationSucceeded" }.count == 100)

        let broken = await Interpreter(clock: ManualClock()).run(try map(1), input: ["xs": ["a", "bad", "c", "d"]])
        #expect(broken.error == "Bad")
        let iterations = broken.events.filter { $0.type.hasPrefix("MapIteration") }.map(\.type)
        #expect(iterations == ["MapIterationStarted", "MapIterationSucceeded", "MapIterationStarted", "MapIterationFailed"])
    }

    @Test func variablesAreReadAsOfStateEntry() async throws {
        let definition = try machine("""
            {"StartAt": "Set", "States": {
              "Set": {"Type": "Pass", "Assign": {"a": 1, "b": 2}, "Next": "Swap"},
              "Swap": {"Type": "Pass", "Assign": {"a.$": "$b", "b.$": "$a"}, "Next": "Show"},
              "Show": {"Type": "Pass", "Parameters": {"a.$": "$a", "b.$": "$b"}, "End": true}}}
            """)
        let outcome = await Interpreter(clock: ManualClock()).run(definition, input: [:])
        #expect(outcome.output == ["a": 2, "b": 1])
    }

    @Test func waitUsesTheClock() async throws {
        let definition = try machine(#"{"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": true}}}"#)
        let clock = ManualClock()
        let outcome = await Interpreter(clock: clock).run(definition, input: ["s": 3600])
        #expect(outcome.status == .succeeded)
        #expect(clock.sleeps == [3600])
    }

    @Test func oversizedResultIsDataLimitExceeded() async throws {
        let definition = try machine(#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"big.$": "$.s"}, "End": true}}}"#)
        let outcome = await Interpreter(clock: ManualClock()).run(definition, input: ["s": .string(String(repeating: "x", count: 262_144))])
        #expect(outcome.error == "States.DataLimitExceeded")
        #expect(outcome.cause == "The state/task 'P' returned a result with a size exceeding the maximum number of bytes service limit.")
    }
}

@Suite struct ExecutionTimeoutTests {
    @Test func executionTimeoutSecondsEndsTheRunAsTimedOut() async throws {
        let definition = try machine(#"{"StartAt": "W", "TimeoutSeconds": 10, "States": {"W": {"Type": "Wait", "Seconds": 60, "Next": "P"}, "P": {"Type": "Pass", "End": true}}}"#)
        let outcome = await Interpreter(clock: ManualClock()).run(definition, input: [:])
        #expect(outcome.status == .timedOut)
        #expect(outcome.error == "States.Timeout")
        #expect(outcome.events.last?.type == "ExecutionTimedOut")
        #expect(!outcome.events.map(\.type).contains("PassStateEntered"))
    }
}

/// A journal that keeps checkpoints and committed events in memory, as the execution store
/// would; it can refuse to commit from a given checkpoint on, as a full disk would.
final class MemoryJournal: ExecutionJournal, @unchecked Sendable {
    // @unchecked: everything is only touched under `lock`.
    private let lock = NSLock()
    private var stored: [(checkpoint: ExecutionCheckpoint, events: [HistoryEvent])] = []
    private let failAt: Int?

    init(failAt: Int? = nil) { self.failAt = failAt }

    var checkpoints: [ExecutionCheckpoint] { lock.withLock { stored.map(\.checkpoint) } }
    /// The events committed up to checkpoint `index`.
    func events(through index: Int) -> [HistoryEvent] { lock.withLock { stored[...index].flatMap(\.events) } }

    func entered(_ checkpoint: ExecutionCheckpoint, history: History) throws(ExecutionFailure) {
        lock.lock()
        defer { lock.unlock() }
        if let failAt, stored.count >= failAt { throw ExecutionFailure(journalFailed, cause: "database or disk is full") }
        let committed = stored.last?.events.last?.id ?? 0
        stored.append((checkpoint, Array(history.events(after: committed))))
    }

    /// The outputs kept for each failed state visit.
    private(set) var failedVisits: [Int: [Int: JSONValue]] = [:]

    func stateFailed(_ checkpoint: ExecutionCheckpoint, succeeded: [Int: JSONValue]) throws(ExecutionFailure) {
        lock.withLock { failedVisits[checkpoint.enteredEventId] = succeeded }
    }

    func mapRun(stateEnteredEventId: Int, redriving previous: Int?) throws(ExecutionFailure) -> any MapRunJournal {
        throw ExecutionFailure(journalFailed, cause: "no Map Runs in this journal")
    }
}

@Suite struct ResumeTests {
    let definition = """
        {"StartAt": "Set", "States": {
          "Set": {"Type": "Pass", "Assign": {"greeting": "hello"}, "Result": {"n": 1}, "Next": "Work"},
          "Work": {"Type": "Task", "Resource": "\(lambda)", "ResultPath": "$.work", "Next": "Nap"},
          "Nap": {"Type": "Wait", "Seconds": 10, "Next": "Show"},
          "Show": {"Type": "Pass", "Parameters": {"greeting.$": "$greeting", "input.$": "$"}, "End": true}}}
        """

    @Test func everyTopLevelStateIsCommittedAsItIsEntered() async throws {
        let journal = MemoryJournal()
        let outcome = await Interpreter(invoker: ScriptedInvoker([:]), clock: ManualClock()).run(try machine(definition), input: ["k": 1], journal: journal)
        #expect(outcome.status == .succeeded)
        #expect(journal.checkpoints.map(\.stateName) == ["Set", "Work", "Nap", "Show"])
        #expect(journal.checkpoints[2].variables == ["greeting": "hello"])
        #expect(journal.checkpoints[2].input == ["n": 1, "work": ["n": 1]])
        // Each commit ends with the state's entry; everything before it is committed.
        let committed = journal.events(through: 3)
        #expect(committed.map(\.id) == Array(1...committed.count))
        #expect(committed.last?.type == "PassStateEntered")
        #expect(Array(outcome.events.prefix(committed.count)).map(\.type) == committed.map(\.type))
    }

    @Test func aResumedExecutionContinuesFromItsCheckpointWithTheTimeThatRemained() async throws {
        let definition = try machine(definition)
        let journal = MemoryJournal()
        let clock = ManualClock()
        let whole = await Interpreter(invoker: ScriptedInvoker([:]), clock: clock).run(definition, input: ["k": 1], journal: journal)
        // The process died 4 s into the Wait: it continues there, waiting the 6 s that remain.
        let nap = journal.checkpoints[2]
        let committed = journal.events(through: 2)
        let later = ManualClock(start: nap.entered.addingTimeInterval(4))
        let invoker = ScriptedInvoker([:])
        let resumed = await Interpreter(invoker: invoker, clock: later).resume(
            definition, from: ResumePoint(input: ["k": 1], startTime: whole.events[0].timestamp, committedEvents: committed.count, checkpoint: nap),
            options: ExecutionOptions())
        #expect(resumed.status == .succeeded)
        #expect(resumed.output == whole.output)
        #expect(later.sleeps == [6])
        #expect(invoker.requests.isEmpty, "the Task before the checkpoint is not run again")
        #expect(resumed.events.first?.id == committed.count + 1)
        #expect((committed + resumed.events).map(\.type) == whole.events.map(\.type))
    }

    @Test func aStateInterruptedInItsTaskRunsItAgain() async throws {
        let definition = try machine(definition)
        let journal = MemoryJournal()
        _ = await Interpreter(invoker: ScriptedInvoker([:]), clock: ManualClock()).run(definition, input: ["k": 1], journal: journal)
        let work = journal.checkpoints[1]
        let invoker = ScriptedInvoker([lambda: [.succeed(["again": true])]])
        let resumed = await Interpreter(invoker: invoker, clock: ManualClock()).resume(
            definition, from: ResumePoint(input: ["k": 1], startTime: Date(), committedEvents: journal.events(through: 1).count, checkpoint: work),
            options: ExecutionOptions())
        #expect(invoker.requests.count == 1)
        #expect(resumed.output == ["greeting": "hello", "input": ["n": 1, "work": ["again": true]]])
    }

    @Test func aJournalThatCannotCommitStopsTheRunUncaught() async throws {
        let definition = try machine("""
            {"StartAt": "A", "States": {
              "A": {"Type": "Pass", "Next": "B"},
              "B": {"Type": "Pass", "End": true}}}
            """)
        let outcome = await Interpreter(clock: ManualClock()).run(definition, input: [:], journal: MemoryJournal(failAt: 1))
        #expect(outcome.status == .failed)
        #expect(outcome.error == journalFailed.rawValue)
        #expect(outcome.cause == "database or disk is full")
    }
}

let other = "arn:aws:lambda:us-east-1:111111111111:function:other"

@Suite struct HistoryRenderingTests {
    /// The direct writer and `json` must give the same text for every kind of event.
    @Test func eventsWriteTheSameJSONAsTheirValues() async throws {
        let definition = try machine("""
            {"StartAt": "One", "States": {
              "One": {"Type": "Pass", "Result": {"n": 1, "z": 0.0}, "Next": "Same"},
              "Same": {"Type": "Task", "Resource": "\(other)", "Next": "Fan"},
              "Fan": {"Type": "Parallel", "Next": "Each", "Branches": [
                {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "\(lambda)", "End": true,
                  "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 1}]}}},
                {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}}]},
              "Each": {"Type": "Map", "ItemsPath": "$[0].items", "Next": "Bad",
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}},
              "Bad": {"Type": "Task", "Resource": "\(lambda)", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Fail"}], "End": true},
              "Fail": {"Type": "Fail", "Error": "Oops", "Cause": "quote \\" and é"}}}
            """)
        // `Same` answers a value equal to its input that prints differently (1.0, -0.0).
        let invoker = ScriptedInvoker([
            lambda: [.fail("Flaky", "once"), .succeed(["items": [1, "two", ["3": nil]]]), .fail("Boom", "{\"nested\":true}")],
            other: [.succeed(["n": .double(1), "z": .double(-0.0)])],
        ])
        let outcome = await Interpreter(invoker: invoker, clock: ManualClock()).run(definition, input: ["k": "v"])
        #expect(outcome.status == .failed)
        #expect(Set(outcome.events.map(\.type)).count >= 15)
        for event in outcome.events {
            var buffer = JSONByteBuffer()
            event.write(to: &buffer)
            #expect(buffer.string == event.json.compactString)
        }
        #expect(HistoryEvent.jsonText(outcome.events) == JSONValue.array(outcome.events.map(\.json)).compactString)
    }
}
