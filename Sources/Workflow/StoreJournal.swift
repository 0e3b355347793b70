import ASLErrors
import ExecutionStore
import Foundation
import Interpreter
import JSONCore
import Synchronization

/// Keeps a Standard execution durable in the execution store: each top-level state is
/// committed (with the history events before it) as it is entered, and each Map Run's
/// finished children (completion records, Standard children's executions, the run's counts)
/// are committed a few hundred at a time or every half second, whichever comes first.
public final class StoreJournal: ExecutionJournal {
    let store: any ExecutionStore
    let executionArn: String
    /// The definition version, for the child executions' records.
    let version: Int
    /// The id of the last event committed.
    private let committed: Mutex<Int>

    public init(store: any ExecutionStore, executionArn: String, version: Int, committedEvents: Int = 0) {
        self.store = store
        self.executionArn = executionArn
        self.version = version
        committed = Mutex(committedEvents)
    }

    /// The id of the last event committed.
    public var committedEvents: Int { committed.withLock { $0 } }

    public func entered(_ checkpoint: ExecutionCheckpoint, history: History) throws(ExecutionFailure) {
        let after = committedEvents
        let events = history.events(after: after)
        do { try store.commit(events: events.map(\.json), checkpoint: Self.record(checkpoint), of: executionArn) } catch { throw Self.failure(error) }
        committed.withLock { $0 = events.last?.id ?? after }
    }

    /// Stores how the execution ended with the events not committed yet, in one transaction.
    public func finish(_ record: ExecutionRecord, outcome: ExecutionOutcome, at date: Date) throws {
        var record = record
        record.status = outcome.status.rawValue
        record.stopDate = date
        record.output = outcome.output?.compactString
        record.error = outcome.error
        record.cause = outcome.cause
        let after = committedEvents
        try store.finish(record, events: outcome.events.filter { $0.id > after }.map(\.json))
    }

    public func stateFailed(_ checkpoint: ExecutionCheckpoint, succeeded: [Int: JSONValue]) throws(ExecutionFailure) {
        var outputs = JSONObject()
        for (index, output) in succeeded.sorted(by: { $0.key < $1.key }) { outputs[String(index)] = output }
        var record = Self.record(checkpoint)
        record.succeeded = JSONValue.object(outputs).compactString
        do { try store.commit(events: [], checkpoint: record, of: executionArn) } catch { throw Self.failure(error) }
    }

    static func record(_ checkpoint: ExecutionCheckpoint) -> Checkpoint {
        Checkpoint(
            stateName: checkpoint.stateName, input: checkpoint.input.compactString, variables: JSONValue.object(checkpoint.variables).compactString,
            enteredEventId: checkpoint.enteredEventId, entered: checkpoint.entered)
    }

    public func mapRun(stateEnteredEventId: Int, redriving previous: Int?) throws(ExecutionFailure) -> any MapRunJournal {
        let existing: MapRunRecord?
        do {
            existing = try store.mapRun(executionArn: executionArn, stateEnteredEventId: previous ?? stateEnteredEventId)
            // A redriven run belongs to the new state visit from now on (a crash of the
            // redrive resumes it from there).
            if previous != nil, var moved = existing {
                moved.stateEnteredEventId = stateEnteredEventId
                try store.save(mapRun: moved)
            }
        } catch {
            throw Self.failure(error)
        }
        return StoreMapRunJournal(parent: self, stateEnteredEventId: stateEnteredEventId, continuing: existing)
    }

    static func failure(_ error: any Error) -> ExecutionFailure {
        var failure = ExecutionFailure(journalFailed, cause: "\(error)")
        failure.terminal = true
        return failure
    }
}

/// One Map Run's durable side (see `StoreJournal`). Batches are printed (records and
/// histories as JSON text) on a printer thread and committed on a writer thread, so the run
/// keeps starting children meanwhile and one batch is printed while the one before commits;
/// at most three batches are on their way (then the run waits), and `flush` returns once
/// everything is committed.
final class StoreMapRunJournal: MapRunJournal {
    private let parent: StoreJournal
    private let stateEnteredEventId: Int
    let continued: (mapRunArn: String, startDate: Date, redriveCount: Int)?
    private var pending: [(child: CompletedChild, execution: ChildExecutionReport?)] = []
    private var lastCommit = ContinuousClock.now
    private let printer = DispatchQueue(label: "statesman.map-run-journal.printer")
    private let writer = DispatchQueue(label: "statesman.map-run-journal.writer")
    private let queued = DispatchSemaphore(value: 3)
    /// The first commit that failed.
    private let failure = FirstFailure()
    /// Commit after this many children, or this long after the last commit.
    static let batch = 256
    static let interval = Duration.milliseconds(500)

    init(parent: StoreJournal, stateEnteredEventId: Int, continuing existing: MapRunRecord?) {
        self.parent = parent
        self.stateEnteredEventId = stateEnteredEventId
        continued = existing.map { ($0.arn, $0.startDate, Int($0.description["redriveCount"]?.integerValue ?? 0)) }
    }

    func replay(_ body: (CompletedChild) -> Void) throws(ExecutionFailure) {
        guard let arn = continued?.mapRunArn else { return }
        var after = -1
        while true {
            let page: [ChildCompletion]
            do { page = try parent.store.completions(of: arn, after: after, limit: 4096) } catch { throw StoreJournal.failure(error) }
            guard let last = page.last else { return }
            for completion in page {
                guard let status = CompletedChild.Status(rawValue: completion.status), let results = try? JSONValue(parsing: completion.results).arrayValue else {
                    throw StoreJournal.failure(ExecutionStoreError("The completion record of child \(completion.index) of \(arn) is damaged"))
                }
                body(CompletedChild(index: completion.index, itemCount: completion.itemCount, status: status, results: results))
            }
            after = last.index
        }
    }

    func completed(_ child: CompletedChild, execution: ChildExecutionReport?, run: MapRunSnapshot) throws(ExecutionFailure) {
        if let failed = failure.value { throw failed }
        pending.append((child, execution))
        if pending.count >= Self.batch || ContinuousClock.now - lastCommit >= Self.interval { submit(run) }
    }

    func flush(run: MapRunSnapshot) throws(ExecutionFailure) {
        submit(run)
        printer.sync {}
        writer.sync {}
        if let failed = failure.value { throw failed }
    }

    /// Hands the children finished so far, with the run's counts, to the printer thread, which
    /// prints their rows and hands them on to the writer thread: while one batch commits, the
    /// next is printed.
    private func submit(_ run: MapRunSnapshot) {
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        lastCommit = .now
        queued.wait()
        let store = parent.store, version = parent.version, mapRun = MapRunRecord(run, stateEnteredEventId: stateEnteredEventId)
        printer.async { [writer, failure, queued] in
            guard failure.value == nil else {
                queued.signal()
                return
            }
            let rows = Self.rows(of: batch, version: version)
            writer.async {
                defer { queued.signal() }
                guard failure.value == nil else { return }
                do { try store.commit(mapRun: mapRun, completions: rows.completions, children: rows.children) } catch {
                    failure.record(StoreJournal.failure(error))
                }
            }
        }
    }

    /// The rows of a batch of finished children: their completion records and, for Standard
    /// children, their execution records and histories.
    private static func rows(
        of batch: [(child: CompletedChild, execution: ChildExecutionReport?)], version: Int
    ) -> (completions: [ChildCompletion], children: [(record: ExecutionRecord, history: String)]) {
        var completions: [ChildCompletion] = []
        var children: [(record: ExecutionRecord, history: String)] = []
        completions.reserveCapacity(batch.count)
        for (child, execution) in batch {
            // One child's input and output recur in its record, its history and its
            // results: each is printed once.
            var texts = PayloadTexts()
            let results = child.printedResults ?? "[" + child.results.map { texts.compact($0) }.joined(separator: ",") + "]"
            completions.append(ChildCompletion(index: child.index, itemCount: child.itemCount, status: child.status.rawValue, results: results))
            if let execution {
                let record = ExecutionRecord(execution, version: version, texts: &texts)
                children.append((record, HistoryEvent.jsonText(execution.outcome.events, texts: &texts)))
            }
        }
        return (completions, children)
    }
}

/// The first failure of a writer thread, read by the run.
private final class FirstFailure: Sendable {
    private let stored = Mutex<ExecutionFailure?>(nil)

    var value: ExecutionFailure? { stored.withLock { $0 } }

    func record(_ failure: ExecutionFailure) {
        stored.withLock { if $0 == nil { $0 = failure } }
    }
}

extension ExecutionRecord {
    /// A Distributed Map's Standard child as ListExecutions and DescribeExecution give it.
    init(_ child: ChildExecutionReport, version: Int, texts: inout PayloadTexts) {
        let outcome = child.outcome
        self.init(
            arn: child.executionArn, stateMachineArn: child.stateMachineArn, name: child.name, status: outcome.status.rawValue, startDate: child.started,
            stopDate: child.stopped, input: texts.compact(child.input), output: outcome.output.map { texts.compact($0) }, error: outcome.error,
            cause: outcome.cause, version: version, mapRunArn: child.mapRunArn)
    }
}

extension MapRunRecord {
    /// A Map Run as DescribeMapRun gives it.
    public init(_ run: MapRunSnapshot, stateEnteredEventId: Int? = nil) {
        self.init(
            arn: run.mapRunArn, executionArn: run.executionArn, status: run.status.rawValue, startDate: run.startDate, stopDate: run.stopDate,
            description: run.json, stateEnteredEventId: stateEnteredEventId)
    }
}

/// Callback tasks' waits, through the execution store: the token is recorded before the
/// resource gets it, and the wait polls it until SendTaskSuccess or SendTaskFailure (`statesman tasks`, from any process)
/// answers it; each SendTaskHeartbeat is passed on.
public struct StoreTaskCallbacks: TaskCallbacks {
    let store: any ExecutionStore
    /// How often a waiting task looks at its token.
    let interval: Duration

    public init(store: any ExecutionStore, interval: Duration = .milliseconds(100)) {
        self.store = store
        self.interval = interval
    }

    public func register(token: String, executionArn: String, stateName: String) throws(ExecutionFailure) {
        do { try store.register(taskToken: token, executionArn: executionArn, stateName: stateName, at: Date()) } catch {
            throw StoreJournal.failure(error)
        }
    }

    public func close(token: String) {
        try? store.close(taskToken: token)
    }

    public func wait(
        for token: String, executionArn: String, stateName: String, onHeartbeat: @escaping @Sendable () -> Void
    ) async throws(ExecutionFailure) -> JSONValue {
        // However the wait ends, a later answer is refused.
        defer { close(token: token) }
        var lastHeartbeat: Date?
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            guard let record = try? store.taskToken(token) else { continue }
            switch record.status {
            case .succeeded:
                do { return try JSONValue(parsing: record.output ?? "null") } catch {
                    throw ExecutionFailure(.runtime, cause: "The output given for the task token is not JSON: \(error)")
                }
            case .failed:
                throw ExecutionFailure(ErrorName(record.error ?? ""), cause: record.cause)
            case .waiting:
                if let beat = record.heartbeat, beat != lastHeartbeat {
                    lastHeartbeat = beat
                    onHeartbeat()
                }
            case .closed:
                break
            }
        }
        throw ExecutionFailure(.runtime, cause: "The execution was stopped")
    }
}
