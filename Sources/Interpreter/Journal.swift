import ASLErrors
import Foundation
import JSONCore

/// Keeps a Standard execution's progress durable, so that it can continue after a crash: the
/// interpreter's port to the execution store. Only the top-level execution has one (Express
/// executions and Map children run in memory, as on AWS).
///
/// A failure to commit is thrown as `journalFailed`: the run stops in this process, and the
/// execution is left as last committed, to be continued once the store works again.
public protocol ExecutionJournal: Sendable {
    /// The execution entered a top-level state: commits the events recorded since the last
    /// commit together with the checkpoint, before the state runs.
    func entered(_ checkpoint: ExecutionCheckpoint, history: History) throws(ExecutionFailure)
    /// A top-level Parallel or inline Map state failed: keeps the outputs of its branches or
    /// iterations that succeeded (by index), for a redrive.
    func stateFailed(_ checkpoint: ExecutionCheckpoint, succeeded: [Int: JSONValue]) throws(ExecutionFailure)
    /// The durable side of the Map Run of a Distributed Map state entered as event
    /// `stateEnteredEventId`: the run a crash interrupted, or a new one. `redriving`: the Map
    /// Run of the state visit that failed (entered as `stateEnteredEventId`) is redriven.
    func mapRun(stateEnteredEventId: Int, redriving previous: Int?) throws(ExecutionFailure) -> any MapRunJournal
}

/// The error that stops a run whose journal cannot commit; never caught by Retry or Catch.
public let journalFailed = ErrorName("Statesman.StoreFailed")

/// One Map Run's finished children, recorded so that a continued run neither runs them again
/// nor loses or repeats their results.
public protocol MapRunJournal: AnyObject {
    /// The interrupted or redriven run being continued (its ARN, start and redrive count), or
    /// nil for a new run.
    var continued: (mapRunArn: String, startDate: Date, redriveCount: Int)? { get }
    /// Hands over, in index order, the children the interrupted run completed.
    func replay(_ body: (CompletedChild) -> Void) throws(ExecutionFailure)
    /// A child finished: recorded with the Standard child's own execution and the run's
    /// counts. Commits may be batched; `flush` commits the rest.
    func completed(_ child: CompletedChild, execution: ChildExecutionReport?, run: MapRunSnapshot) throws(ExecutionFailure)
    func flush(run: MapRunSnapshot) throws(ExecutionFailure)
}

/// What a finished child contributed to its Map Run.
public struct CompletedChild: Sendable, Equatable {
    public enum Status: String, Sendable {
        case succeeded = "SUCCEEDED", failed = "FAILED", timedOut = "TIMED_OUT", aborted = "ABORTED"
    }

    /// Its index among the run's children (items, or batches, in reading order).
    public var index: Int
    public var itemCount: Int
    public var status: Status
    /// The values it added to the results (the ResultWriter's records, or the Map's output).
    public var results: [JSONValue]
    /// `results` as a compact JSON array, when the ResultWriter has already printed them (the
    /// journal then stores this text rather than printing them again).
    public var printedResults: String?

    public init(index: Int, itemCount: Int, status: Status, results: [JSONValue]) {
        self.index = index
        self.itemCount = itemCount
        self.status = status
        self.results = results
    }
}

/// Where a running execution stands: the top-level state it entered, that state's input, and
/// the variables as of its entry.
public struct ExecutionCheckpoint: Sendable {
    public var stateName: String
    public var input: JSONValue
    public var variables: JSONObject
    public var enteredEventId: Int
    public var entered: Date

    public init(stateName: String, input: JSONValue, variables: JSONObject, enteredEventId: Int, entered: Date) {
        self.stateName = stateName
        self.input = input
        self.variables = variables
        self.enteredEventId = enteredEventId
        self.entered = entered
    }
}

/// What an interrupted execution continues from: its input and start, how many of its events
/// were committed, and its last checkpoint. For a redrive, `redrive` holds what the failed
/// state had finished (the outputs of its branches or iterations that succeeded).
public struct ResumePoint: Sendable {
    public var input: JSONValue
    public var startTime: Date
    public var committedEvents: Int
    public var checkpoint: ExecutionCheckpoint
    public var redrive: [Int: JSONValue]?

    public init(input: JSONValue, startTime: Date, committedEvents: Int, checkpoint: ExecutionCheckpoint, redrive: [Int: JSONValue]? = nil) {
        self.input = input
        self.startTime = startTime
        self.committedEvents = committedEvents
        self.checkpoint = checkpoint
        self.redrive = redrive
    }
}

/// The state a redrive runs first: the one that failed.
struct RedrivenVisit: Sendable {
    var stateName: String
    /// Its `...StateEntered` event in the attempt that failed.
    var previousEnteredEventId: Int
    /// The outputs of its branches or iterations that succeeded then, by index.
    var succeeded: [Int: JSONValue]
}

/// Hands the redriven visit to the first top-level state that asks for it, once: later
/// visits of the same state (a loop) run in full.
final class RedriveClaim: @unchecked Sendable {
    // @unchecked: `visit` is only touched under `lock`.
    private let lock = NSLock()
    private var visit: RedrivenVisit?

    init(_ visit: RedrivenVisit?) { self.visit = visit }

    func take(_ stateName: String) -> RedrivenVisit? {
        lock.withLock {
            guard let found = visit, found.stateName == stateName else { return nil }
            visit = nil
            return found
        }
    }
}

/// The branches or iterations the top-level Parallel or inline Map state now running has
/// finished, by index, for the state visit entered as event `visit`.
final class FinishedParts: @unchecked Sendable {
    // @unchecked: everything is only touched under `lock`.
    private let lock = NSLock()
    private var visit = 0
    private var outputs: [Int: JSONValue] = [:]

    func begin(_ visit: Int) {
        lock.withLock {
            self.visit = visit
            outputs = [:]
        }
    }

    func finished(_ index: Int, _ output: JSONValue, visit: Int) {
        lock.withLock { if self.visit == visit { outputs[index] = output } }
    }

    func outputs(of visit: Int) -> [Int: JSONValue] {
        lock.withLock { self.visit == visit ? outputs : [:] }
    }
}
