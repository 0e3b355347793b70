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
    /// The durable side of the Map Run of a Distributed Map state entered as event
    /// `stateEnteredEventId`: the run a crash interrupted, or a new one.
    func mapRun(stateEnteredEventId: Int) throws(ExecutionFailure) -> any MapRunJournal
}

/// The error that stops a run whose journal cannot commit; never caught by Retry or Catch.
public let journalFailed = ErrorName("Statesman.StoreFailed")

/// One Map Run's finished children, recorded so that a continued run neither runs them again
/// nor loses or repeats their results.
public protocol MapRunJournal: AnyObject {
    /// The interrupted run being continued (its ARN and start), or nil for a new run.
    var continued: (mapRunArn: String, startDate: Date)? { get }
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
/// were committed, and its last checkpoint.
public struct ResumePoint: Sendable {
    public var input: JSONValue
    public var startTime: Date
    public var committedEvents: Int
    public var checkpoint: ExecutionCheckpoint

    public init(input: JSONValue, startTime: Date, committedEvents: Int, checkpoint: ExecutionCheckpoint) {
        self.input = input
        self.startTime = startTime
        self.committedEvents = committedEvents
        self.checkpoint = checkpoint
    }
}
