import Foundation
import JSONCore

/// Where executions are kept: state machines with the versions of their definitions,
/// executions, their history events, and Map Runs with their counts. `SQLiteExecutionStore`
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
    func execution(_ arn: String) throws -> ExecutionRecord?
    /// Executions, newest first, of one state machine and one status when given; a Map Run's
    /// children are listed by `children(of:)` only.
    func executions(stateMachineArn: String?, status: String?) throws -> [ExecutionRecord]

    /// Stores finished child executions of a Map Run with their histories, in one go.
    func insert(children: [(record: ExecutionRecord, events: [JSONValue])]) throws
    /// A Map Run's child executions, newest first (ListExecutions with `mapRunArn`).
    func children(of mapRunArn: String) throws -> [ExecutionRecord]

    /// Appends history events (`GetExecutionHistory`'s shape); ids must follow on.
    func append(events: [JSONValue], to executionArn: String) throws
    func history(of executionArn: String) throws -> [JSONValue]

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

    public init(
        arn: String, stateMachineArn: String, name: String, status: String, startDate: Date, stopDate: Date? = nil, input: String,
        output: String? = nil, error: String? = nil, cause: String? = nil, version: Int, mapRunArn: String? = nil
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
        return .object(object)
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

    public init(arn: String, executionArn: String, status: String, startDate: Date, stopDate: Date?, description: JSONValue) {
        self.arn = arn
        self.executionArn = executionArn
        self.status = status
        self.startDate = startDate
        self.stopDate = stopDate
        self.description = description
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

/// A problem of the store: a broken file, a missing execution, events out of order.
public struct ExecutionStoreError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
