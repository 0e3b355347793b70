import ASLErrors
import ASLModel
import Foundation
import JSONCore
import PathExpressions
import Synchronization

/// Names and identity of one execution.
public struct ExecutionOptions: Sendable {
    public var name: String
    public var stateMachineName: String
    public var region: String
    public var account: String
    public var roleArn: String
    public var type: StateMachineType
    /// The history limit: AWS's 25,000 events (benchmarks may lift it).
    public var maximumEvents: Int = History.maximumEvents
    /// How many times the execution was redriven, and when last (the context object's
    /// `Execution.RedriveCount` and `RedriveTime`).
    public var redriveCount = 0
    public var redriveTime: Date?

    public init(
        name: String = RandomUUID.string(), stateMachineName: String = "StateMachine", region: String = "us-east-1",
        account: String = "123456789012", roleArn: String? = nil, type: StateMachineType = .standard
    ) {
        self.name = name
        self.stateMachineName = stateMachineName
        self.region = region
        self.account = account
        self.roleArn = roleArn ?? "arn:aws:iam::\(account):role/statesman"
        self.type = type
    }

    public var stateMachineArn: String { Self.arn(region, account, "stateMachine", stateMachineName) }
    public var executionArn: String { Self.arn(region, account, "execution", stateMachineName, name) }

    /// `arn:aws:states:REGION:ACCOUNT:` and the parts, joined by colons, in one allocation
    /// (a Map Run makes one per child).
    private static func arn(_ region: String, _ account: String, _ parts: String...) -> String {
        var arn = "arn:aws:states:"
        arn.reserveCapacity(parts.reduce(16 + region.utf8.count + account.utf8.count) { $0 + $1.utf8.count + 1 })
        arn += region
        arn += ":"
        arn += account
        for part in parts {
            arn += ":"
            arn += part
        }
        return arn
    }
}

/// How an execution ended.
public struct ExecutionOutcome: Sendable {
    public enum Status: String, Sendable {
        case succeeded = "SUCCEEDED"
        case failed = "FAILED"
        case timedOut = "TIMED_OUT"
        case aborted = "ABORTED"
    }

    public var status: Status
    public var output: JSONValue?
    public var error: String?
    public var cause: String?
    public var events: [HistoryEvent]
}

/// Runs a definition: every state type, data flow, Retry and Catch, variables and the context
/// object, recording an AWS-shaped history. Tasks go through the `TaskInvoker` port and time
/// through the `ExecutionClock` port.
public struct Interpreter: Sendable {
    /// What every execution of this interpreter uses, behind one reference: each Map Run child
    /// holds that reference, not a copy of every part (a retain each, on objects every thread
    /// touches).
    final class Parts: Sendable {
        let invoker: any TaskInvoker
        let clock: any ExecutionClock
        let mapIO: (any DistributedMapIO)?
        let observer: (any MapRunObserver)?
        let callbacks: (any TaskCallbacks)?
        let childrenInFlight: Int

        init(
            invoker: any TaskInvoker, clock: any ExecutionClock, mapIO: (any DistributedMapIO)?, observer: (any MapRunObserver)?,
            callbacks: (any TaskCallbacks)?, childrenInFlight: Int
        ) {
            self.invoker = invoker
            self.clock = clock
            self.mapIO = mapIO
            self.observer = observer
            self.callbacks = callbacks
            self.childrenInFlight = childrenInFlight
        }

        func with(callbacks: (any TaskCallbacks)?? = nil, childrenInFlight: Int? = nil) -> Parts {
            Parts(
                invoker: invoker, clock: clock, mapIO: mapIO, observer: observer, callbacks: callbacks ?? self.callbacks,
                childrenInFlight: childrenInFlight ?? self.childrenInFlight)
        }
    }

    private(set) var parts: Parts

    var invoker: any TaskInvoker { parts.invoker }
    var clock: any ExecutionClock { parts.clock }
    /// The object store behind Distributed Maps' readers and result writers (nil: none).
    var mapIO: (any DistributedMapIO)? { parts.mapIO }
    /// Told how Map Runs progress.
    var observer: (any MapRunObserver)? { parts.observer }
    /// Where `.waitForTaskToken` tasks wait for SendTaskSuccess/Failure (nil: none).
    public var callbacks: (any TaskCallbacks)? {
        get { parts.callbacks }
        set { parts = parts.with(callbacks: .some(newValue)) }
    }
    /// At most this many child executions of one Map Run run at once (AWS: 10,000).
    public var childrenInFlight: Int {
        get { parts.childrenInFlight }
        set { parts = parts.with(childrenInFlight: newValue) }
    }

    /// AWS's payload limit: 256 KiB of UTF-8.
    public static let payloadLimit = 262_144

    public init(
        invoker: any TaskInvoker = NoTaskInvoker(), clock: any ExecutionClock = SystemClock(), mapIO: (any DistributedMapIO)? = nil,
        observer: (any MapRunObserver)? = nil
    ) {
        parts = Parts(invoker: invoker, clock: clock, mapIO: mapIO, observer: observer, callbacks: nil, childrenInFlight: 1_000)
    }

    /// Runs an execution to its end. With a journal (a Standard execution kept in a store),
    /// every top-level state is committed as it is entered, so `resume` can continue it.
    public func run(
        _ definition: StateMachineDefinition, input: JSONValue, options: ExecutionOptions = ExecutionOptions(), journal: (any ExecutionJournal)? = nil
    ) async -> ExecutionOutcome {
        let history = History()
        let start = clock.now()
        history.recordStart(input: input, roleArn: options.roleArn, at: start)
        return await execute(definition, input: input, start: start, from: nil, redrive: nil, history: history, options: options, journal: journal)
    }

    /// Continues an execution interrupted after its last checkpoint: the state it had entered
    /// runs again (a Task is invoked again, a Wait waits what remained, a Distributed Map runs
    /// only the children not yet completed), then the execution goes on as it would have.
    /// The outcome's events are those recorded from here on.
    public func resume(
        _ definition: StateMachineDefinition, from point: ResumePoint, options: ExecutionOptions, journal: (any ExecutionJournal)? = nil
    ) async -> ExecutionOutcome {
        let history = History(continuingAfter: point.committedEvents)
        return await execute(
            definition, input: point.input, start: point.startTime, from: point.checkpoint, redrive: point.redrive, history: history, options: options,
            journal: journal)
    }

    private func execute(
        _ definition: StateMachineDefinition, input: JSONValue, start: Date, from checkpoint: ExecutionCheckpoint?, redrive: [Int: JSONValue]?,
        history: History, options: ExecutionOptions, journal: (any ExecutionJournal)?
    ) async -> ExecutionOutcome {
        // The execution races its deadline: TimeoutSeconds, or AWS's maximum duration (a year
        // for Standard, five minutes for Express), counted from its start.
        let limit = Double(definition.timeoutSeconds ?? (options.type == .express ? 300 : 31_536_000))
        let deadline = start.addingTimeInterval(limit)
        let clock = self.clock
        let redriven = checkpoint.flatMap { checkpoint in
            redrive.map { RedrivenVisit(stateName: checkpoint.stateName, previousEnteredEventId: checkpoint.enteredEventId, succeeded: $0) }
        }
        let execution = ExecutionRun(
            interpreter: self, history: history, options: options, input: input, startTime: start, deadline: deadline, journal: journal, redriven: redriven)
        let finished: Result<JSONValue, ExecutionFailure>? = await withTaskGroup(of: Result<JSONValue, ExecutionFailure>?.self) { group in
            group.addTask {
                do throws(ExecutionFailure) {
                    let scope = VariableScope(parent: nil)
                    if let checkpoint { scope.assign(checkpoint.variables) }
                    return .success(
                        try await execution.runScope(
                            definition, input: input, frame: Frame(variables: scope), from: checkpoint, durable: true, redriving: redrive != nil))
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                await clock.deadline(seconds: deadline.timeIntervalSince(clock.now()))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        // Stopped from outside (Ctrl-C, StopExecution).
        return history.recordEnd(of: finished, stopped: Task.isCancelled, at: clock.now())
    }
}

extension History {
    /// Records `ExecutionStarted`, as every execution's history begins.
    func recordStart(input: JSONValue, roleArn: String, at date: Date) {
        record(
            "ExecutionStarted", at: date, previous: 0, detailsKey: "executionStartedEventDetails", details: ["roleArn": .string(roleArn)],
            payloads: [("input", input)])
    }

    /// Records how an execution ended and gives its outcome: `finished` is its result, or nil
    /// when its deadline came first; `stopped` when it was stopped from outside.
    func recordEnd(of finished: Result<JSONValue, ExecutionFailure>?, stopped: Bool, at date: Date) -> ExecutionOutcome {
        var aborted = stopped
        if case .failure(let failure)? = finished, failure.error == ExecutionRun.executionAborted { aborted = true }
        if aborted {
            record("ExecutionAborted", at: date, detailsKey: "executionAbortedEventDetails", details: [:])
            return ExecutionOutcome(status: .aborted, events: all)
        }
        let timedOut: Bool
        if case .failure(let failure)? = finished, failure.error == ExecutionRun.executionTimedOut { timedOut = true } else { timedOut = finished == nil }
        guard let finished, !timedOut else {
            record("ExecutionTimedOut", at: date, detailsKey: "executionTimedOutEventDetails", details: ["error": .string(ErrorName.timeout.rawValue)])
            return ExecutionOutcome(status: .timedOut, error: ErrorName.timeout.rawValue, events: all)
        }
        do {
            let output = try finished.get()
            record("ExecutionSucceeded", at: date, detailsKey: "executionSucceededEventDetails", details: [:], payloads: [("output", output)])
            return ExecutionOutcome(status: .succeeded, output: output, events: all)
        } catch {
            var details = JSONObject()
            details["error"] = .string(error.error.rawValue)
            if let cause = error.cause { details["cause"] = .string(cause) }
            record("ExecutionFailed", at: date, detailsKey: "executionFailedEventDetails", details: .object(details))
            return ExecutionOutcome(status: .failed, error: error.error.rawValue, cause: error.cause, events: all)
        }
    }
}

/// What a scope of states runs with: its variables and, inside a Map iteration, the item.
struct Frame: Sendable {
    var variables: VariableScope
    var mapItem: JSONValue? = nil
}

/// One execution in progress.
///
/// Its async methods are `nonisolated(nonsending)`: they run on their caller's executor, which
/// is always the global one (Statesman has no actors), so a state visit does not check which
/// executor it is on at every call and every return.
final class ExecutionRun: Sendable {
    let interpreter: Interpreter
    let history: History
    let options: ExecutionOptions
    /// `options.executionArn`, made once.
    let executionArn: String
    let input: JSONValue
    let startTime: Date
    /// When the execution times out (TimeoutSeconds, or AWS's maximum duration).
    let deadline: Date
    /// The parts of the context object that stay the same for the whole execution, built when
    /// a state first reads the context (most of a Map Run's children never do).
    private let builtContext = Mutex<JSONValue?>(nil)
    /// Commits the top-level states of a durable execution (nil: in memory only).
    let journal: (any ExecutionJournal)?
    /// A redrive's first state: the state that failed, which runs again without its
    /// branches or iterations that had succeeded, and continues its Map Run (nil: not a redrive).
    let redriven: RedriveClaim?
    /// What the top-level Parallel or inline Map state running now has finished, kept when it
    /// fails so that a redrive need not run it again (only with a journal: a Map Run's
    /// children, made by the thousand, have none).
    let finishedParts: FinishedParts?

    /// Ends an execution that ran past its deadline; never matched by Retry or Catch.
    static let executionTimedOut = ErrorName("Statesman.ExecutionTimedOut")
    /// Ends an execution that was stopped (Ctrl-C, StopExecution); never matched by Retry or Catch.
    static let executionAborted = ErrorName("Statesman.ExecutionAborted")

    init(
        interpreter: Interpreter, history: History, options: ExecutionOptions, input: JSONValue, startTime: Date, deadline: Date = .distantFuture,
        journal: (any ExecutionJournal)? = nil, redriven: RedrivenVisit? = nil
    ) {
        self.interpreter = interpreter
        self.journal = journal
        self.redriven = redriven.map(RedriveClaim.init)
        finishedParts = journal == nil ? nil : FinishedParts()
        self.history = history
        self.options = options
        executionArn = options.executionArn
        self.input = input
        self.startTime = startTime
        self.deadline = deadline
    }

    /// See `builtContext`.
    var baseContext: JSONValue {
        builtContext.withLock { built in
            if let built { return built }
            var execution = JSONObject()
            execution["Id"] = .string(executionArn)
            execution["Input"] = input
            execution["StartTime"] = .string(Timestamps.format(startTime))
            execution["Name"] = .string(options.name)
            execution["RoleArn"] = .string(options.roleArn)
            execution["RedriveCount"] = .int(Int64(options.redriveCount))
            if let redriveTime = options.redriveTime { execution["RedriveTime"] = .string(Timestamps.format(redriveTime)) }
            var context = JSONObject()
            context["Execution"] = .object(execution)
            context["StateMachine"] = ["Id": .string(options.stateMachineArn), "Name": .string(options.stateMachineName)]
            built = .object(context)
            return .object(context)
        }
    }

    var clock: any ExecutionClock { interpreter.clock }

    /// Runs the states of `machine` from `StartAt` (or from a checkpoint's state, already
    /// entered) until one ends the scope. `durable`: the execution's top-level scope, whose
    /// states the journal commits as they are entered.
    nonisolated(nonsending) func runScope(
        _ machine: StateMachineDefinition, input: JSONValue, frame: Frame, from checkpoint: ExecutionCheckpoint? = nil, durable: Bool = false,
        redriving: Bool = false
    ) async throws(ExecutionFailure) -> JSONValue {
        var name = checkpoint?.stateName ?? machine.startAt
        var value = checkpoint?.input ?? input
        // A crashed execution continues inside the state it had entered; a redriven one enters
        // the state that failed again.
        var resumed = !redriving ? checkpoint.map { StateEntry(id: $0.enteredEventId, time: $0.entered) } : nil
        while true {
            // A cancelled scope (the execution timed out, a sibling branch failed) stops here.
            if Task.isCancelled { throw ExecutionFailure(.runtime, cause: "The execution was stopped") }
            if clock.now() >= deadline { throw ExecutionFailure(Self.executionTimedOut) }
            guard let state = machine.states[name] else {
                throw ExecutionFailure(.runtime, cause: "The state \(name) does not exist")
            }
            let entry = resumed ?? enter(state, input: value)
            resumed = nil
            var checkpoint: ExecutionCheckpoint?
            if durable, let journal {
                checkpoint = ExecutionCheckpoint(stateName: name, input: value, variables: frame.variables.visible, enteredEventId: entry.id, entered: entry.time)
                try journal.entered(checkpoint!, history: history)
                finishedParts?.begin(entry.id)
            }
            let output: JSONValue, next: String?
            do {
                (output, next) = try await runState(state, input: value, frame: frame, entry: entry)
            } catch {
                // What a failed Parallel or inline Map finished is kept for a redrive.
                if let journal, let checkpoint, let finished = finishedParts?.outputs(of: entry.id), !finished.isEmpty {
                    try? journal.stateFailed(checkpoint, succeeded: finished)
                }
                throw error
            }
            value = output
            guard let next else { return value }
            name = next
            if history.count >= options.maximumEvents {
                throw ExecutionFailure(.runtime, cause: "The execution history reached the limit of \(options.maximumEvents) events.")
            }
        }
    }

    /// The context object for a state entered at `entered`.
    func context(stateName: String, entered: Date, retryCount: Int?, frame: Frame, taskToken: String? = nil) -> JSONValue {
        var state = JSONObject()
        state["EnteredTime"] = .string(Timestamps.format(entered))
        state["Name"] = .string(stateName)
        if let retryCount { state["RetryCount"] = .int(Int64(retryCount)) }
        var context = baseContext.objectValue ?? JSONObject()
        context["State"] = .object(state)
        if let item = frame.mapItem { context["Map"] = ["Item": item] }
        if let taskToken { context["Task"] = ["Token": .string(taskToken)] }
        return .object(context)
    }
}
