import Foundation
import JSONCore
import Synchronization

/// The execution store in memory (tests; Express executions need no more).
public final class InMemoryExecutionStore: ExecutionStore {
    private struct Contents {
        var machines: [String: StateMachineRecord] = [:]
        var versions: [String: [StateMachineVersion]] = [:]
        var executions: [String: ExecutionRecord] = [:]
        var events: [String: [JSONValue]] = [:]
        var mapRuns: [String: MapRunRecord] = [:]
        var stops: [String: StopRequest] = [:]
        var checkpoints: [String: Checkpoint] = [:]
        var tokens: [String: TaskTokenRecord] = [:]
        /// By Map Run, by child index.
        var completions: [String: [Int: ChildCompletion]] = [:]
    }

    private let contents = Mutex(Contents())

    public init() {}

    public func registerStateMachine(arn: String, name: String, type: String, definition: String, at date: Date) throws -> (machine: StateMachineRecord, version: Int) {
        contents.withLock { contents in
            var machine = contents.machines[arn] ?? StateMachineRecord(arn: arn, name: name, type: type, created: date, latestVersion: 0)
            if let latest = contents.versions[arn]?.last, latest.definition == definition { return (machine, latest.version) }
            machine.latestVersion += 1
            machine.type = type
            contents.machines[arn] = machine
            contents.versions[arn, default: []].append(StateMachineVersion(version: machine.latestVersion, definition: definition, created: date))
            return (machine, machine.latestVersion)
        }
    }

    public func stateMachines() throws -> [StateMachineRecord] {
        contents.withLock { $0.machines.values.sorted { $0.name < $1.name } }
    }

    public func versions(of stateMachineArn: String) throws -> [StateMachineVersion] {
        contents.withLock { $0.versions[stateMachineArn] ?? [] }
    }

    public func insert(_ execution: ExecutionRecord) throws {
        try contents.withLock { contents in
            guard contents.executions[execution.arn] == nil else { throw ExecutionStoreError("The execution \(execution.arn) already exists") }
            contents.executions[execution.arn] = execution
        }
    }

    public func update(_ execution: ExecutionRecord) throws {
        try contents.withLock { contents in
            guard contents.executions[execution.arn] != nil else { throw ExecutionStoreError("There is no execution \(execution.arn)") }
            contents.executions[execution.arn] = execution
        }
    }

    public func finish(_ execution: ExecutionRecord, events: [JSONValue]) throws {
        try contents.withLock { contents in
            var copy = contents
            try Self.append(events, to: execution.arn, &copy)
            copy.executions[execution.arn] = execution
            contents = copy
        }
    }

    public func execution(_ arn: String) throws -> ExecutionRecord? {
        contents.withLock { $0.executions[arn] }
    }

    public func executions(stateMachineArn: String?, status: String?) throws -> [ExecutionRecord] {
        contents.withLock { contents in
            contents.executions.values
                .filter { $0.mapRunArn == nil && (stateMachineArn == nil || $0.stateMachineArn == stateMachineArn) && (status == nil || $0.status == status) }
                .sorted { ($0.startDate, $0.arn) > ($1.startDate, $1.arn) }
        }
    }

    public func children(of mapRunArn: String) throws -> [ExecutionRecord] {
        contents.withLock { contents in
            contents.executions.values.filter { $0.mapRunArn == mapRunArn }.sorted { ($0.startDate, $0.arn) > ($1.startDate, $1.arn) }
        }
    }

    public func append(events: [JSONValue], to executionArn: String) throws {
        try contents.withLock { contents in try Self.append(events, to: executionArn, &contents) }
    }

    private static func append(_ events: [JSONValue], to executionArn: String, _ contents: inout Contents) throws {
        guard contents.executions[executionArn] != nil else { throw ExecutionStoreError("There is no execution \(executionArn)") }
        var stored = contents.events[executionArn] ?? []
        for event in events {
            guard event["id"]?.integerValue == Int64(stored.count + 1) else {
                throw ExecutionStoreError("Event \(event["id"]?.compactString ?? "?") of \(executionArn) does not follow event \(stored.count)")
            }
            stored.append(event)
        }
        contents.events[executionArn] = stored
    }

    public func history(of executionArn: String) throws -> [JSONValue] {
        contents.withLock { $0.events[executionArn] ?? [] }
    }

    public func commit(events: [JSONValue], checkpoint: Checkpoint, of executionArn: String) throws {
        try contents.withLock { contents in
            // All or nothing, as in a transaction: the events are checked before anything changes.
            var copy = contents
            try Self.append(events, to: executionArn, &copy)
            copy.checkpoints[executionArn] = checkpoint
            contents = copy
        }
    }

    public func checkpoint(of executionArn: String) throws -> Checkpoint? {
        contents.withLock { $0.checkpoints[executionArn] }
    }

    public func redrive(_ executionArn: String, at date: Date) throws -> ExecutionRecord {
        try contents.withLock { contents in
            guard var execution = contents.executions[executionArn] else { throw ExecutionStoreError("There is no execution \(executionArn)") }
            if let reason = execution.notRedrivableReason { throw ServiceError("ExecutionNotRedrivable", reason) }
            execution.redriveCount += 1
            execution.redriveDate = date
            execution.status = "RUNNING"
            execution.stopDate = nil
            execution.output = nil
            execution.error = nil
            execution.cause = nil
            let last = contents.events[executionArn]?.count ?? 0
            let event: JSONValue = [
                "timestamp": .string(SQLiteExecutionStore.timestamp(date)), "type": "ExecutionRedriven", "id": .int(Int64(last + 1)),
                "previousEventId": .int(Int64(last)), "executionRedrivenEventDetails": ["redriveCount": .int(Int64(execution.redriveCount))],
            ]
            contents.events[executionArn, default: []].append(event)
            contents.executions[executionArn] = execution
            contents.stops[executionArn] = nil
            return execution
        }
    }

    public func register(taskToken: String, executionArn: String, stateName: String, at date: Date) throws {
        contents.withLock { $0.tokens[taskToken] = TaskTokenRecord(token: taskToken, executionArn: executionArn, stateName: stateName, status: .waiting) }
    }

    public func complete(taskToken: String, output: String?, error: String?, cause: String?, at date: Date) throws {
        try contents.withLock { contents in
            try Self.checkWaiting(contents.tokens[taskToken])
            contents.tokens[taskToken]?.status = output != nil ? .succeeded : .failed
            contents.tokens[taskToken]?.output = output
            contents.tokens[taskToken]?.error = error
            contents.tokens[taskToken]?.cause = cause
        }
    }

    public func heartbeat(taskToken: String, at date: Date) throws {
        try contents.withLock { contents in
            try Self.checkWaiting(contents.tokens[taskToken])
            contents.tokens[taskToken]?.heartbeat = date
        }
    }

    public func close(taskToken: String) throws {
        contents.withLock { contents in
            if contents.tokens[taskToken]?.status == .waiting { contents.tokens[taskToken]?.status = .closed }
        }
    }

    private static func checkWaiting(_ record: TaskTokenRecord?) throws {
        guard let record else { throw ServiceError("TaskDoesNotExist", "Task does not exist anymore") }
        guard record.status == .waiting else { throw ServiceError("TaskTimedOut", "Task Timed Out") }
    }

    public func taskToken(_ token: String) throws -> TaskTokenRecord? {
        contents.withLock { $0.tokens[token] }
    }

    public func requestStop(of executionArn: String, error: String?, cause: String?, at date: Date) throws {
        try contents.withLock { contents in
            guard let execution = contents.executions[executionArn] else { throw ExecutionStoreError("There is no execution \(executionArn)") }
            guard execution.status == "RUNNING" else { throw ExecutionStoreError("The execution \(executionArn) is \(execution.status), not RUNNING") }
            contents.stops[executionArn] = StopRequest(error: error, cause: cause, requested: date)
        }
    }

    public func stopRequest(for executionArn: String) throws -> StopRequest? {
        contents.withLock { $0.stops[executionArn] }
    }

    public func save(mapRun: MapRunRecord) throws {
        contents.withLock { $0.mapRuns[mapRun.arn] = mapRun }
    }

    public func commit(mapRun: MapRunRecord, completions: [ChildCompletion], children: [(record: ExecutionRecord, history: String)]) throws {
        try contents.withLock { contents in
            var copy = contents
            var mapRun = mapRun
            if mapRun.stateEnteredEventId == nil { mapRun.stateEnteredEventId = copy.mapRuns[mapRun.arn]?.stateEnteredEventId }
            copy.mapRuns[mapRun.arn] = mapRun
            for completion in completions {
                guard copy.completions[mapRun.arn]?[completion.index]?.status != "SUCCEEDED" else {
                    throw ExecutionStoreError("Child \(completion.index) of \(mapRun.arn) already succeeded")
                }
                copy.completions[mapRun.arn, default: [:]][completion.index] = completion
            }
            for child in children {
                guard copy.executions[child.record.arn] == nil else { throw ExecutionStoreError("The execution \(child.record.arn) already exists") }
                copy.executions[child.record.arn] = child.record
                try Self.append(try JSONValue(parsing: child.history).arrayValue ?? [], to: child.record.arn, &copy)
            }
            contents = copy
        }
    }

    public func completions(of mapRunArn: String, after index: Int, limit: Int) throws -> [ChildCompletion] {
        contents.withLock { contents in
            let all = contents.completions[mapRunArn] ?? [:]
            return Array(all.keys.filter { $0 > index }.sorted().prefix(limit).map { all[$0]! })
        }
    }

    public func mapRun(executionArn: String, stateEnteredEventId: Int) throws -> MapRunRecord? {
        contents.withLock { contents in
            contents.mapRuns.values.filter { $0.executionArn == executionArn && $0.stateEnteredEventId == stateEnteredEventId }.max { $0.startDate < $1.startDate }
        }
    }

    public func mapRun(_ arn: String) throws -> MapRunRecord? {
        contents.withLock { $0.mapRuns[arn] }
    }

    public func mapRuns(executionArn: String?) throws -> [MapRunRecord] {
        contents.withLock { contents in
            contents.mapRuns.values.filter { executionArn == nil || $0.executionArn == executionArn }.sorted { ($0.startDate, $0.arn) > ($1.startDate, $1.arn) }
        }
    }
}
