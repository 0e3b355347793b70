import Foundation
import JSONCore

/// Where executions are kept: state machines with the versions of their definitions,
/// executions, their history events, Map Runs with their counts, and what a running
/// execution needs to continue after a crash (its checkpoint, its Map Runs' finished
/// children). `SQLiteExecutionStore`
/// keeps them in a file (the embedded default); `InMemoryExecutionStore` for tests. Both pass
/// one shared test suite.
public protocol ExecutionStore: Sendable {
    /// Records a definition under `name`: a new state machine, or a new version of it when the
    /// definition changed. Returns the state machine and the version the definition has.
    func registerStateMachine(arn: String, name: String, type: String, definition: String, at date: Date) throws -> (machine: StateMachineRecord, version: Int)
    func stateMachines() throws -> [StateMachineRecord]
    /// The definitions of a state machine, oldest first.
    func versions(of stateMachineArn: String) throws -> [StateMachineVersion]

    func insert(_ execution: ExecutionRecord) throws
    /// Stores the end of an execution (status, stop date, output or error and cause).
    func update(_ execution: ExecutionRecord) throws
    /// Stores, in one transaction, the end of an execution and its last history events.
    func finish(_ execution: ExecutionRecord, events: [JSONValue]) throws
    func execution(_ arn: String) throws -> ExecutionRecord?
    /// Executions, newest first, of one state machine and one status when given; a Map Run's
    /// children are listed by `children(of:)` only.
    func executions(stateMachineArn: String?, status: String?) throws -> [ExecutionRecord]

    /// A Map Run's child executions, newest first (ListExecutions with `mapRunArn`).
    func children(of mapRunArn: String) throws -> [ExecutionRecord]

    /// Appends history events (`GetExecutionHistory`'s shape); ids must follow on.
    func append(events: [JSONValue], to executionArn: String) throws
    func history(of executionArn: String) throws -> [JSONValue]

    /// Commits, in one transaction, history events and the state the execution has entered:
    /// after a crash both are there or neither is.
    func commit(events: [JSONValue], checkpoint: Checkpoint, of executionArn: String) throws
    /// Where a running execution last stood.
    func checkpoint(of executionArn: String) throws -> Checkpoint?

    /// Redrives an execution (RedriveExecution): a FAILED, TIMED_OUT or ABORTED one becomes
    /// RUNNING again, with its redrive count and date, and an `ExecutionRedriven` event, in one
    /// transaction. Anything else is refused with AWS's reason (`ServiceError` `ExecutionNotRedrivable`).
    func redrive(_ executionArn: String, at date: Date) throws -> ExecutionRecord

    /// Commits, in one transaction, finished children of a Map Run (their completion records,
    /// and for Standard children their executions with histories, each history the JSON text
    /// of its array of events) and the Map Run's counts. A child index is recorded at most once.
    func commit(mapRun: MapRunRecord, completions: [ChildCompletion], children: [(record: ExecutionRecord, history: String)]) throws
    /// The completion records of a Map Run with an index above `index`, in index order, at
    /// most `limit` of them (read page by page: a run may have millions).
    func completions(of mapRunArn: String, after index: Int, limit: Int) throws -> [ChildCompletion]
    /// The Map Run a Distributed Map state started when it was entered as event
    /// `stateEnteredEventId` of `executionArn` (to continue it after a crash).
    func mapRun(executionArn: String, stateEnteredEventId: Int) throws -> MapRunRecord?

    /// Records a task token a callback task (`.waitForTaskToken`) now waits on.
    func register(taskToken: String, executionArn: String, stateName: String, at date: Date) throws
    /// SendTaskSuccess (`output`) or SendTaskFailure (`error`, `cause`): answers a waiting token.
    /// An unknown token is `TaskDoesNotExist`; one no longer waited on is `TaskTimedOut`.
    func complete(taskToken: String, output: String?, error: String?, cause: String?, at date: Date) throws
    /// SendTaskHeartbeat.
    func heartbeat(taskToken: String, at date: Date) throws
    /// Ends the wait on a token (its task timed out or was stopped): later answers are refused.
    func close(taskToken: String) throws
    func taskToken(_ token: String) throws -> TaskTokenRecord?

    /// Asks a running execution to stop (StopExecution): the process running it sees the
    /// request and aborts it. Fails when the execution is not RUNNING.
    func requestStop(of executionArn: String, error: String?, cause: String?, at date: Date) throws
    /// The stop asked for an execution, if any.
    func stopRequest(for executionArn: String) throws -> StopRequest?

    /// Inserts or replaces a Map Run (DescribeMapRun's shape).
    func save(mapRun: MapRunRecord) throws
    func mapRun(_ arn: String) throws -> MapRunRecord?
    func mapRuns(executionArn: String?) throws -> [MapRunRecord]
}

public struct StateMachineRecord: Sendable, Equatable {
    public var arn: String
    public var name: String
    public var type: String
    public var created: Date
    public var latestVersion: Int

    public init(arn: String, name: String, type: String, created: Date, latestVersion: Int) {
        self.arn = arn
        self.name = name
        self.type = type
        self.created = created
        self.latestVersion = latestVersion
    }
}

public struct StateMachineVersion: Sendable, Equatable {
    public var version: Int
    public var definition: String
    public var created: Date
}

/// An execution as DescribeExecution reports it.
public struct ExecutionRecord: Sendable, Equatable {
    public var arn: String
    public var stateMachineArn: String
    public var name: String
    public var status: String
    public var startDate: Date
    public var stopDate: Date?
    /// JSON text, as the API gives it.
    public var input: String
    public var output: String?
    public var error: String?
    public var cause: String?
    /// The definition version it ran.
    public var version: Int
    /// Set for a Distributed Map's child execution.
    public var mapRunArn: String?
    /// How the execution was started (JSON text: the function registry, the object store,
    /// ...), so that it can be continued the same way after a crash.
    public var launch: String?
    /// How many times it was redriven, and when last.
    public var redriveCount = 0
    public var redriveDate: Date?

    public init(
        arn: String, stateMachineArn: String, name: String, status: String, startDate: Date, stopDate: Date? = nil, input: String,
        output: String? = nil, error: String? = nil, cause: String? = nil, version: Int, mapRunArn: String? = nil, launch: String? = nil,
        redriveCount: Int = 0, redriveDate: Date? = nil
    ) {
        self.arn = arn
        self.stateMachineArn = stateMachineArn
        self.name = name
        self.status = status
        self.startDate = startDate
        self.stopDate = stopDate
        self.input = input
        self.output = output
        self.error = error
        self.cause = cause
        self.version = version
        self.mapRunArn = mapRunArn
        self.launch = launch
        self.redriveCount = redriveCount
        self.redriveDate = redriveDate
    }

    /// DescribeExecution's JSON (dates as epoch seconds, as the AWS JSON protocol sends them).
    public var json: JSONValue {
        var object = JSONObject()
        object["executionArn"] = .string(arn)
        object["stateMachineArn"] = .string(stateMachineArn)
        object["name"] = .string(name)
        object["status"] = .string(status)
        object["startDate"] = .double(startDate.timeIntervalSince1970)
        if let stopDate { object["stopDate"] = .double(stopDate.timeIntervalSince1970) }
        object["input"] = .string(input)
        if let output { object["output"] = .string(output) }
        if let error { object["error"] = .string(error) }
        if let cause { object["cause"] = .string(cause) }
        if let mapRunArn { object["mapRunArn"] = .string(mapRunArn) }
        object["redriveCount"] = .int(Int64(redriveCount))
        if let redriveDate { object["redriveDate"] = .double(redriveDate.timeIntervalSince1970) }
        if mapRunArn == nil {
            object["redriveStatus"] = .string(notRedrivableReason == nil ? "REDRIVABLE" : "NOT_REDRIVABLE")
            if let reason = notRedrivableReason { object["redriveStatusReason"] = .string(reason) }
        }
        return .object(object)
    }

    /// Why RedriveExecution would refuse it (nil: it can be redriven).
    public var notRedrivableReason: String? {
        if mapRunArn != nil { return "A Map Run's child execution is redriven with its parent" }
        switch status {
        case "FAILED", "TIMED_OUT", "ABORTED": return nil
        default: return "Execution is \(status) and cannot be redriven"
        }
    }
}

/// A Map Run: its identity, status and DescribeMapRun's JSON.
public struct MapRunRecord: Sendable, Equatable {
    public var arn: String
    public var executionArn: String
    public var status: String
    public var startDate: Date
    public var stopDate: Date?
    /// DescribeMapRun's whole answer (counts, tolerances, concurrency).
    public var description: JSONValue
    /// The id of the `MapStateEntered` event of the state visit that started the run.
    public var stateEnteredEventId: Int?

    public init(arn: String, executionArn: String, status: String, startDate: Date, stopDate: Date?, description: JSONValue, stateEnteredEventId: Int? = nil) {
        self.arn = arn
        self.executionArn = executionArn
        self.status = status
        self.startDate = startDate
        self.stopDate = stopDate
        self.description = description
        self.stateEnteredEventId = stateEnteredEventId
    }
}

/// Where a running execution stands: the top-level state it has entered, with that state's
/// input and the variables as of its entry.
public struct Checkpoint: Sendable, Equatable {
    public var stateName: String
    /// JSON text.
    public var input: String
    /// JSON text of an object.
    public var variables: String
    /// The state's `...StateEntered` event and its time.
    public var enteredEventId: Int
    public var entered: Date
    /// When the state (a Parallel or inline Map) failed: JSON text of an object from the
    /// index of each branch or iteration that succeeded to its output, kept for a redrive.
    public var succeeded: String?

    public init(stateName: String, input: String, variables: String, enteredEventId: Int, entered: Date, succeeded: String? = nil) {
        self.stateName = stateName
        self.input = input
        self.variables = variables
        self.enteredEventId = enteredEventId
        self.entered = entered
        self.succeeded = succeeded
    }
}

/// A finished child execution of a Map Run: what it contributed, so that a Map Run continued
/// after a crash neither runs it again nor loses or repeats its results.
public struct ChildCompletion: Sendable, Equatable {
    /// The child's index in the run (items in order, or batches in order).
    public var index: Int
    public var itemCount: Int
    /// `SUCCEEDED`, `FAILED` or `TIMED_OUT`.
    public var status: String
    /// JSON text of the array of values it added to the results.
    public var results: String

    public init(index: Int, itemCount: Int, status: String, results: String) {
        self.index = index
        self.itemCount = itemCount
        self.status = status
        self.results = results
    }
}

/// A StopExecution request: its optional error and cause go into the `ExecutionAborted` event.
public struct StopRequest: Sendable, Equatable {
    public var error: String?
    public var cause: String?
    public var requested: Date

    public init(error: String?, cause: String?, requested: Date) {
        self.error = error
        self.cause = cause
        self.requested = requested
    }
}

/// A task token and what became of it.
public struct TaskTokenRecord: Sendable, Equatable {
    public enum Status: String, Sendable { case waiting = "WAITING", succeeded = "SUCCEEDED", failed = "FAILED", closed = "CLOSED" }

    public var token: String
    public var executionArn: String
    public var stateName: String
    public var status: Status
    public var output: String?
    public var error: String?
    public var cause: String?
    /// The last SendTaskHeartbeat.
    public var heartbeat: Date?

    public init(
        token: String, executionArn: String, stateName: String, status: Status, output: String? = nil, error: String? = nil, cause: String? = nil,
        heartbeat: Date? = nil
    ) {
        self.token = token
        self.executionArn = executionArn
        self.stateName = stateName
        self.status = status
        self.output = output
        self.error = error
        self.cause = cause
        self.heartbeat = heartbeat
    }
}

/// A refusal that the Step Functions API gives with an error code of its own:
/// `ExecutionNotRedrivable` (RedriveExecution), `TaskDoesNotExist` and `TaskTimedOut`
/// (SendTask*), with AWS's message.
public struct ServiceError: Error, CustomStringConvertible, Equatable {
    public var code: String
    public var message: String
    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { "\(code): \(message)" }
}

/// A problem of the store: a broken file, a missing execution, events out of order.
public struct ExecutionStoreError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
