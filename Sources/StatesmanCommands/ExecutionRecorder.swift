import ExecutionStore
import Foundation
import Interpreter
import JSONCore

/// Keeps what `statesman run` did in the execution store: the state machine and its
/// definition's version, the execution (started, then its outcome), its history events and
/// its Map Runs. Standard executions only: AWS keeps no history of Express ones either.
struct ExecutionRecorder {
    let store: any ExecutionStore

    /// Opens the store under `directory` (`statesman.db`), with a clear error when it cannot.
    static func open(directory: String) throws -> ExecutionRecorder {
        let path = URL(fileURLWithPath: directory).appendingPathComponent("statesman.db").path
        return ExecutionRecorder(store: try SQLiteExecutionStore(path: path))
    }

    /// Records the state machine (a new version when its definition changed) and the
    /// execution as RUNNING.
    func start(definition: String, options: ExecutionOptions, input: JSONValue, at date: Date) throws -> ExecutionRecord {
        let (_, version) = try store.registerStateMachine(
            arn: options.stateMachineArn, name: options.stateMachineName, type: options.type.rawValue, definition: definition, at: date)
        let record = ExecutionRecord(
            arn: options.executionArn, stateMachineArn: options.stateMachineArn, name: options.name, status: "RUNNING", startDate: date,
            input: input.compactString, version: version)
        try store.insert(record)
        return record
    }

    /// Records how the execution ended, its events and its Map Runs.
    func finish(_ record: ExecutionRecord, outcome: ExecutionOutcome, mapRuns: [MapRunSnapshot], at date: Date) throws {
        var record = record
        record.status = outcome.status.rawValue
        record.stopDate = date
        record.output = outcome.output?.compactString
        record.error = outcome.error
        record.cause = outcome.cause
        try store.append(events: outcome.events.map(\.json), to: record.arn)
        for run in mapRuns {
            try store.save(
                mapRun: MapRunRecord(
                    arn: run.mapRunArn, executionArn: run.executionArn, status: run.status.rawValue, startDate: run.startDate, stopDate: run.stopDate,
                    description: run.json))
        }
        try store.update(record)
    }
}

extension ExecutionOutcome {
    /// A StopExecution's error and cause, in the outcome and its `ExecutionAborted` event.
    mutating func stopped(by request: StopRequest) {
        error = request.error
        cause = request.cause
        guard let index = events.lastIndex(where: { $0.type == "ExecutionAborted" }) else { return }
        var details = JSONObject()
        if let error = request.error { details["error"] = .string(error) }
        if let cause = request.cause { details["cause"] = .string(cause) }
        events[index].details = .object(details)
    }
}
