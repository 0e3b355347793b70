import ExecutionStore
import Foundation
import Synchronization
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

/// What `statesman run` watches of its Map Runs: the live display, and the Standard child
/// executions, kept in the execution store a few hundred at a time.
final class RunObserver: MapRunObserver {
    let display: ProgressDisplay
    private let store: (any ExecutionStore)?
    private let version: Int
    private let pending = Mutex<[(record: ExecutionRecord, events: [JSONValue])]>([])
    static let batch = 200

    init(display: ProgressDisplay, store: (any ExecutionStore)?, version: Int) {
        self.display = display
        self.store = store
        self.version = version
    }

    func mapRunChanged(_ run: MapRunSnapshot) { display.mapRunChanged(run) }

    func childExecutionEnded(_ child: ChildExecutionReport) {
        guard store != nil else { return }
        let outcome = child.outcome
        let record = ExecutionRecord(
            arn: child.executionArn, stateMachineArn: child.stateMachineArn, name: child.name, status: outcome.status.rawValue, startDate: child.started,
            stopDate: child.stopped, input: child.input.compactString, output: outcome.output?.compactString, error: outcome.error, cause: outcome.cause,
            version: version, mapRunArn: child.mapRunArn)
        let full = pending.withLock { pending -> [(record: ExecutionRecord, events: [JSONValue])]? in
            pending.append((record, outcome.events.map(\.json)))
            guard pending.count >= Self.batch else { return nil }
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        if let full { write(full) }
    }

    /// Writes what is still buffered (at the end of the run).
    func flush() {
        let rest = pending.withLock { pending in
            defer { pending = [] }
            return pending
        }
        if !rest.isEmpty { write(rest) }
    }

    private func write(_ children: [(record: ExecutionRecord, events: [JSONValue])]) {
        do { try store?.insert(children: children) } catch {
            FileHandle.standardError.write(Data("statesman: child executions could not be recorded: \(error)\n".utf8))
        }
    }
}
