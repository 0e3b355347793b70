import ASLErrors
import ASLModel
import Foundation
import JSONCore
import PathExpressions
import PayloadTemplates
import Synchronization

/// A Distributed Map: a Map Run whose items stream from an `ItemReader` (or the state's input),
/// are selected and batched, and run as child executions, at most `MaxConcurrency` at a time,
/// with results exported by a `ResultWriter` as the children finish.
extension ExecutionRun {
    nonisolated(nonsending) func runDistributedMap(_ state: State, _ map: MapState, input: JSONValue, flow: DataFlow, frame: Frame) async throws(ExecutionFailure) -> JSONValue {
        var source: any ItemSource
        var maxItems = 0
        let fromReader = map.itemReader != nil
        if let reader = map.itemReader {
            (source, maxItems) = try openReader(reader, state: state, flow: flow, input: input)
        } else {
            let elements = try state.queryLanguage == .jsonata ? jsonataItems(of: map, flow: flow, input: input) : items(of: map, flow: flow, input: input)
            source = ArrayItemSource(elements)
            maxItems = elements.count
        }
        // AWS (recorded): a bad MaxConcurrencyPath fails before MapStateStarted, a bad tolerated
        // failure value after it. A reader-fed map reports length 0.
        let limit = try flow.integer(map.maxConcurrency, field: "MaxConcurrency", input: input) ?? 0
        history.record(
            "MapStateStarted", at: clock.now(), detailsKey: "mapStateStartedEventDetails", details: ["length": .int(Int64(fromReader ? 0 : maxItems))])
        let tolerance = try toleratedFailures(map, state: state, flow: flow, input: input)
        let batching = try Batching(map.itemBatcher, flow: flow, input: input)
        let writer = try ResultWriterSettings(map.resultWriter, flow: flow, input: input)

        let label = map.label ?? state.name
        // A durable execution continues the Map Run a crash interrupted, under the same ARN; a
        // redriven one redrives the Map Run of the visit that failed.
        let redrive = frame.variables.parent == nil ? redriven?.take(state.name) : nil
        let durable = try journal?.mapRun(stateEnteredEventId: flow.enteredEventId, redriving: redrive?.previousEnteredEventId)
        let redriveCount = redrive != nil ? (durable?.continued?.redriveCount ?? -1) + 1 : 0
        let childMachine = "\(options.stateMachineName)/\(label)"
        let mapRunArn = durable?.continued?.mapRunArn ?? "arn:aws:states:\(options.region):\(options.account):mapRun:\(childMachine):\(RandomUUID.string())"
        let runId = String(mapRunArn[mapRunArn.index(after: mapRunArn.lastIndex(of: ":")!)...])
        var sink: (any ResultSink)?
        if let bucket = writer.bucket {
            guard let io = interpreter.mapIO else {
                throw flow.runtime("The ResultWriter needs an object store, and none is configured (statesman run --store DIR)")
            }
            sink = try io.openResults(ResultTarget(bucket: bucket, prefix: writer.prefix, mapRunArn: mapRunArn, mapRunId: runId, jsonLines: writer.jsonLines))
        }
        if redriveCount > 0 {
            history.record(
                "MapRunRedriven", at: clock.now(), detailsKey: "mapRunRedrivenEventDetails",
                details: ["mapRunArn": .string(mapRunArn), "redriveCount": .int(Int64(redriveCount))])
        } else {
            history.record("MapRunStarted", at: clock.now(), detailsKey: "mapRunStartedEventDetails", details: ["mapRunArn": .string(mapRunArn)])
        }

        let feed = ItemFeed(
            source: source, maxItems: fromReader ? maxItems : 0,
            selector: state.queryLanguage == .jsonata ? map.rawItemSelector.map(ItemFeed.Selector.jsonata) : (map.itemSelector ?? state.parameters).map(ItemFeed.Selector.jsonPath),
            batching: batching, state: state, flow: flow, input: input)
        // AWS runs up to 10,000 children at once (MaxConcurrency 0); this machine runs at most
        // `childrenInFlight` per Map Run, so memory stays bounded when the plugin pools are
        // far narrower than that (the extra children would only wait in their queues).
        let width = min(limit > 0 ? limit : Self.distributedConcurrency, interpreter.childrenInFlight)
        var run = MapRunProgress(
            snapshot: MapRunSnapshot(
                mapRunArn: mapRunArn, executionArn: executionArn, label: label, status: .running,
                startDate: durable?.continued?.startDate ?? clock.now(), maxConcurrency: limit,
                toleratedFailureCount: tolerance.count ?? 0, toleratedFailurePercentage: tolerance.percentage ?? 0, itemCounts: MapRunCounts(),
                executionCounts: MapRunCounts(), totalKnown: !fromReader, redriveCount: max(0, redriveCount),
                redriveDate: redriveCount > 0 ? clock.now() : nil),
            tolerance: tolerance, sink: sink, writer: writer, observer: interpreter.observer, journaled: durable != nil)
        if !fromReader { run.knownTotal = maxItems }
        var childParent = options
        childParent.stateMachineName = childMachine
        let childOptions = ChildOptions(
            parent: childParent, processor: map.processor, express: map.executionType == "EXPRESS", stateMachineArn: childParent.stateMachineArn,
            mapRunArn: mapRunArn, reported: durable != nil || interpreter.observer != nil)
        // The children the interrupted run completed count and are written again (its result
        // files were never finished), and are not run again.
        var completed = CompletedIndexes()
        if let durable {
            do throws(ExecutionFailure) {
                try durable.replay { child in
                    // A redrive runs the children that did not succeed again.
                    if redriveCount > 0, child.status != .succeeded { return }
                    completed.append(child.index)
                    run.replay(child, state: state)
                }
            } catch {
                sink?.abandon()
                throw error
            }
        }
        run.publish()

        // Children run on long-lived worker tasks, one child after another, rather than a task
        // each: a task's allocator keeps its memory from one child to the next, where a new
        // task allocates its frames anew (four of them above glibc's per-thread cache). The
        // worker that finishes a child records it and takes the next item itself, so a child
        // costs no hop to a coordinating task and back.
        let scheduler = ChildScheduler(
            run: run, feed: feed, completed: completed, durable: durable, observer: interpreter.observer, state: state, width: width)
        await withTaskGroup(of: Bool.self) { group in
            while let first = scheduler.start() {
                group.addTask { [self] in
                    var next: ChildWork? = first
                    var stopped = false
                    while let work = next {
                        (next, stopped) = scheduler.finish(await runChild(work, options: childOptions))
                    }
                    return stopped
                }
            }
            scheduler.publish()
            // A worker ends when the items have all started, or when the run stops: then the
            // other workers' children abort (those not yet taken are never started).
            while let stopped = await group.next() {
                if stopped { group.cancelAll() }
            }
        }
        run = scheduler.run
        completed = scheduler.completed
        if Task.isCancelled { run.abort() }
        // With every item read, the percentage can be judged.
        run.checkTolerance()
        // Items never started (the run failed or was stopped) are PENDING.
        if run.stopped {
            while let work = try? feed.next() {
                if !completed.contains(work.index) { run.pendingItems(work) }
            }
        }
        if let durable {
            do { try durable.flush(run: run.snapshot) } catch { run.stop(error) }
        }
        if let sink {
            do { run.manifestKey = try sink.finish() } catch { run.stop(error) }
        }
        run.end(at: clock.now())
        // The run's final status and counts.
        try durable?.flush(run: run.snapshot)
        if run.isAborted {
            history.record("MapRunAborted", at: clock.now())
            throw ExecutionFailure(Self.executionAborted, cause: "The execution was stopped")
        }
        if let failure = run.failure {
            var details = JSONObject()
            details["error"] = .string(failure.error.rawValue)
            if let cause = failure.cause { details["cause"] = .string(cause) }
            history.record("MapRunFailed", at: clock.now(), detailsKey: "mapRunFailedEventDetails", details: .object(details))
            throw failure
        }
        history.record("MapRunSucceeded", at: clock.now())
        history.record("MapStateSucceeded", at: clock.now())
        if let bucket = writer.bucket, let manifestKey = run.manifestKey {
            return ["MapRunArn": .string(mapRunArn), "ResultWriterDetails": ["Bucket": .string(bucket), "Key": .string(manifestKey)]]
        }
        return .array(run.orderedOutputs())
    }

    /// Evaluates an `ItemReader` and opens its items through the object store port.
    private func openReader(_ reader: JSONValue, state: State, flow: DataFlow, input: JSONValue) throws(ExecutionFailure) -> (any ItemSource, Int) {
        guard let io = interpreter.mapIO else {
            throw ExecutionFailure(.itemReaderFailed, cause: "The ItemReader needs an object store, and none is configured (statesman run --store DIR)")
        }
        let resource = reader["Resource"]?.stringValue ?? ""
        var parameters: JSONValue = .object(JSONObject())
        if let raw = reader["Parameters"] {
            parameters = try flow.template(raw, field: "ItemReader/Parameters", input: input, pathFailure: .parameterPathFailure)
        } else if let raw = reader["Arguments"] {
            parameters = try flow.template(raw, field: "ItemReader/Arguments", input: input, pathFailure: .parameterPathFailure)
        }
        var config = reader["ReaderConfig"]?.objectValue ?? JSONObject()
        var maxItems = 0
        if case .string(let text)? = config["MaxItems"], state.queryLanguage == .jsonata {
            maxItems = try flow.jsonataInteger(text, field: "ItemReader/ReaderConfig/MaxItems", flow.jsonataBindings(input: input))
        } else if let value = config["MaxItems"] {
            guard let n = value.integerValue else { throw flow.runtime("The field MaxItems must be an integer") }
            maxItems = Int(n)
        } else if let text = config["MaxItemsPath"]?.stringValue {
            let value: JSONValue
            do { value = try ReferencePath(text).select(in: flow.scope(input)) } catch {
                throw flow.runtime("Invalid path '\(text)' : \(error)")
            }
            guard let n = value.integerValue else {
                throw flow.runtime("The MaxItemsPath field refers to value \"\(value.stringValue ?? value.compactString)\" which is not a valid integer: \(text)")
            }
            maxItems = Int(n)
        }
        if maxItems < 0 { throw ExecutionFailure(.itemReaderFailed, cause: "field MaxItems must be positive") }
        if maxItems > 100_000_000 { throw ExecutionFailure(.itemReaderFailed, cause: "field MaxItems must be at most 100000000") }
        config["MaxItems"] = nil
        config["MaxItemsPath"] = nil
        return (try io.openItems(resource: resource, parameters: parameters, readerConfig: .object(config)), maxItems)
    }

    /// One child execution: its own history, no access to the parent's variables. Its start
    /// and end are out of line, so this function's async frame (one per child in flight) holds
    /// only what crosses the await.
    nonisolated(nonsending) private func runChild(_ work: ChildWork, options childOptions: ChildOptions) async -> ChildOutcome {
        let child = startChild(work, options: childOptions)
        var result: Result<JSONValue, ExecutionFailure>
        do throws(ExecutionFailure) {
            result = .success(try await child.runScope(childOptions.processor, input: work.input, frame: Frame(variables: VariableScope(parent: nil))))
        } catch {
            result = .failure(error)
        }
        return endChild(child, work: work, result: result, options: childOptions)
    }

    @inline(never)
    private func startChild(_ work: ChildWork, options childOptions: ChildOptions) -> ExecutionRun {
        var options = childOptions.parent
        options.name = RandomUUID.timeOrdered()
        let started = clock.now()
        let history = History(keepingEvents: !childOptions.express)
        if !childOptions.express { history.recordStart(input: work.input, roleArn: options.roleArn, at: started) }
        // An Express child ends after AWS's five minutes (checked as it moves from state to
        // state, and in Wait states).
        return ExecutionRun(
            interpreter: interpreter, history: history, options: options, input: work.input, startTime: started,
            deadline: childOptions.express ? started.addingTimeInterval(300) : .distantFuture)
    }

    @inline(never)
    private func endChild(_ child: ExecutionRun, work: ChildWork, result: Result<JSONValue, ExecutionFailure>, options childOptions: ChildOptions) -> ChildOutcome {
        let name = child.options.name
        // A Standard child keeps its own history, reported with its record.
        var report: ChildExecutionReport?
        if !childOptions.express, childOptions.reported {
            let stopped = clock.now()
            report = ChildExecutionReport(
                executionArn: child.executionArn, stateMachineArn: childOptions.stateMachineArn, name: name, mapRunArn: childOptions.mapRunArn,
                input: work.input, started: child.startTime, stopped: stopped, outcome: child.history.recordEnd(of: result, stopped: Task.isCancelled, at: stopped))
        }
        var outcome = ChildOutcome(
            work: work, executionArn: child.executionArn, stateMachineArn: childOptions.stateMachineArn, name: name, started: child.startTime,
            stopped: clock.now(), result: result, aborted: false, report: report)
        if case .failure(let failure) = result, failure.error == Self.executionTimedOut {
            outcome.result = .failure(ExecutionFailure(.timeout, cause: "The child execution timed out"))
            outcome.timedOut = true
        } else if Task.isCancelled {
            // A child still running when the run stops is aborted, whatever it was doing.
            outcome.result = .failure(ExecutionFailure(Self.executionAborted, cause: "The Map Run was stopped"))
            outcome.aborted = true
        }
        return outcome
    }
}

/// Starts a Map Run's children and records their outcomes, in the order they end, for the
/// worker tasks that run them: everything here is read and changed under one lock.
private final class ChildScheduler: @unchecked Sendable {
    private let lock = Mutex(())
    private(set) var run: MapRunProgress
    private(set) var completed: CompletedIndexes
    private let feed: ItemFeed
    private let durable: (any MapRunJournal)?
    private let observer: (any MapRunObserver)?
    private let state: State
    /// At most this many children run at once.
    private let width: Int
    /// Whether the feed has given its last child.
    private var fed = false

    init(
        run: MapRunProgress, feed: ItemFeed, completed: CompletedIndexes, durable: (any MapRunJournal)?, observer: (any MapRunObserver)?, state: State,
        width: Int
    ) {
        self.run = run
        self.feed = feed
        self.completed = completed
        self.durable = durable
        self.observer = observer
        self.state = state
        self.width = width
    }

    // The work is done by functions given `run` in-out: a method or computed property called
    // on the stored property itself would run on a copy of the whole struct (a retain of
    // each of its references), as the class's other code might change it meanwhile.

    /// The next child to run, counted as running; nil when `width` children run, every item
    /// has started, or the run has stopped.
    func start() -> ChildWork? {
        lock.withLock { _ in startNext(&run) }
    }

    /// Records a finished child; returns the next child for the same worker, and whether the
    /// run has stopped.
    func finish(_ outcome: ChildOutcome) -> (next: ChildWork?, stopped: Bool) {
        lock.withLock { _ in finish(outcome, &run) }
    }

    func publish() {
        lock.withLock { _ in Self.publish(&run) }
    }

    private func finish(_ outcome: ChildOutcome, _ run: inout MapRunProgress) -> (next: ChildWork?, stopped: Bool) {
        // The workers are cancelled with the execution (Ctrl-C, StopExecution), which aborts
        // the run, or after it stopped.
        if Task.isCancelled, !run.stopped { run.abort() }
        let child = run.record(outcome, state: state)
        if let durable {
            do throws(ExecutionFailure) { try durable.completed(child, execution: outcome.report, run: run.snapshot) } catch { run.stop(error) }
        } else if let report = outcome.report {
            observer?.childExecutionEnded(report)
        }
        let next = startNext(&run)
        run.publish()
        return (next, run.stopped)
    }

    private static func publish(_ run: inout MapRunProgress) { run.publish() }

    private func startNext(_ run: inout MapRunProgress) -> ChildWork? {
        guard !fed, !run.stopped, run.snapshot.executionCounts.running < width else { return nil }
        while true {
            let next: ChildWork?
            do { next = try feed.next() } catch {
                run.stop(error)
                return nil
            }
            guard let work = next else {
                fed = true
                run.knownTotal = feed.itemsRead
                return nil
            }
            // A continued run's completed children are not run again.
            if completed.contains(work.index) { continue }
            run.started(work)
            return work
        }
    }
}

/// What children of a Map Run are started with: one reference, shared by every child.
private final class ChildOptions: Sendable {
    /// The parent's options with the child state machine's name.
    let parent: ExecutionOptions
    let processor: StateMachineDefinition
    let express: Bool
    let stateMachineArn: String
    let mapRunArn: String
    /// Whether Standard children's records and histories are wanted (by a journal or an observer).
    let reported: Bool

    init(parent: ExecutionOptions, processor: StateMachineDefinition, express: Bool, stateMachineArn: String, mapRunArn: String, reported: Bool) {
        self.parent = parent
        self.processor = processor
        self.express = express
        self.stateMachineArn = stateMachineArn
        self.mapRunArn = mapRunArn
        self.reported = reported
    }
}

/// The indexes of the children a continued Map Run completed before, in increasing order,
/// asked about in increasing order as the feed produces children.
private struct CompletedIndexes {
    private var indexes: [Int] = []
    private var cursor = 0

    mutating func append(_ index: Int) { indexes.append(index) }

    mutating func contains(_ index: Int) -> Bool {
        while cursor < indexes.count, indexes[cursor] < index { cursor += 1 }
        return cursor < indexes.count && indexes[cursor] == index
    }
}

/// One child execution's input: an item, or a batch of items.
struct ChildWork: Sendable {
    var index: Int
    var input: JSONValue
    var itemCount: Int
}

struct ChildOutcome: Sendable {
    var work: ChildWork
    var executionArn: String
    var stateMachineArn: String
    var name: String
    var started: Date
    var stopped: Date
    var result: Result<JSONValue, ExecutionFailure>
    var aborted: Bool
    var timedOut = false
    /// A Standard child's record and history, when wanted.
    var report: ChildExecutionReport?
}

/// `ItemBatcher`: how many items, and how many bytes, go into one child's input.
struct Batching {
    var maxItems: Int?
    var maxBytes: Int?
    var batchInput: JSONValue?

    static let byteLimit = 262_144

    init?(_ batcher: JSONValue?, flow: DataFlow, input: JSONValue) throws(ExecutionFailure) {
        guard let batcher else { return nil }
        maxItems = try Self.limit(batcher, "MaxItemsPerBatch", flow: flow, input: input)
        maxBytes = try Self.limit(batcher, "MaxInputBytesPerBatch", flow: flow, input: input)
        if let bytes = maxBytes, bytes > Self.byteLimit {
            throw flow.runtime("The field MaxInputBytesPerBatch must be at most \(Self.byteLimit), but is \(bytes)")
        }
        if let template = batcher["BatchInput"] {
            batchInput = try flow.template(template, field: "ItemBatcher/BatchInput", input: input, pathFailure: .runtime)
        }
    }

    private static func limit(_ batcher: JSONValue, _ field: String, flow: DataFlow, input: JSONValue) throws(ExecutionFailure) -> Int? {
        var value = batcher[field]
        if flow.state.queryLanguage == .jsonata, case .string(let text)? = value {
            value = .int(Int64(try flow.jsonataInteger(text, field: "ItemBatcher/" + field, flow.jsonataBindings(input: input))))
        }
        if value == nil, let path = batcher[field + "Path"]?.stringValue {
            do { value = try ReferencePath(path).select(in: flow.scope(input)) } catch {
                throw flow.runtime("Invalid path '\(path)' : \(error)")
            }
            guard let n = value?.integerValue, n > 0 else {
                throw flow.runtime("The \(field)Path field refers to value \"\(value.map { $0.stringValue ?? $0.compactString } ?? "null")\" which is not a positive integer: \(path)")
            }
        }
        guard let value else { return nil }
        guard let n = value.integerValue, n > 0, let int = Int(exactly: n) else {
            throw flow.runtime("The field \(field) must be a positive integer")
        }
        return int
    }
}

/// Turns the item stream into child inputs: `MaxItems`, `ItemSelector` with `$$.Map.Item`,
/// then batches.
final class ItemFeed {
    /// An `ItemSelector` in the state's query language.
    enum Selector {
        case jsonPath(PayloadTemplate)
        case jsonata(JSONValue)
    }

    private let source: any ItemSource
    private let maxItems: Int
    private let selector: Selector?
    private let batching: Batching?
    private let state: State
    private let flow: DataFlow
    private let input: JSONValue
    private var itemIndex = 0
    /// A JSONata selector's bindings, the Map's input converted once.
    private lazy var selectorBindings = flow.jsonataBindings(input: input)
    private var childIndex = 0
    /// How many items were read so far.
    var itemsRead: Int { itemIndex }
    /// An item read but not yet placed (it did not fit the previous batch).
    private var carried: JSONValue?
    /// Whether the source has given its last item (it is not asked again).
    private var sourceEnded = false

    init(source: any ItemSource, maxItems: Int, selector: Selector?, batching: Batching?, state: State, flow: DataFlow, input: JSONValue) {
        self.source = source
        self.maxItems = maxItems
        self.selector = selector
        self.batching = batching
        self.state = state
        self.flow = flow
        self.input = input
    }

    /// The next item after `ItemSelector`.
    private func nextItem() throws(ExecutionFailure) -> JSONValue? {
        if let carried {
            self.carried = nil
            return carried
        }
        if sourceEnded || (maxItems > 0 && itemIndex >= maxItems) { return nil }
        guard let element = try source.next() else {
            sourceEnded = true
            return nil
        }
        defer { itemIndex += 1 }
        guard let selector else { return element }
        switch selector {
        case .jsonPath(let template):
            var context = flow.context.objectValue ?? JSONObject()
            context["Map"] = ["Item": ["Index": .int(Int64(itemIndex)), "Value": element, "Source": .string(source.source)]]
            let itemFlow = DataFlow(
                state: state, enteredEventId: flow.enteredEventId, entered: flow.entered, attempt: AttemptScope(context: .object(context)), variables: flow.variables)
            return try itemFlow.evaluate(template, input: input, pathFailure: .parameterPathFailure)
        case .jsonata(let template):
            return try flow.jsonataItemSelector(template, item: element, index: itemIndex, source: source.source, bindings: selectorBindings)
        }
    }

    func next() throws(ExecutionFailure) -> ChildWork? {
        guard let batching else {
            guard let item = try nextItem() else { return nil }
            defer { childIndex += 1 }
            return ChildWork(index: childIndex, input: item, itemCount: 1)
        }
        var items: [JSONValue] = []
        // {"BatchInput":...,"Items":[...]}: the wrapper's bytes, then each item and its comma.
        var bytes = 12 + (batching.batchInput.map { 14 + $0.encodedByteCount } ?? 0)
        while batching.maxItems.map({ items.count < $0 }) ?? true {
            guard let item = try nextItem() else { break }
            guard let maxBytes = batching.maxBytes else {
                items.append(item)
                continue
            }
            let size = item.encodedByteCount + (items.isEmpty ? 0 : 1)
            if bytes + size > maxBytes {
                if items.isEmpty {
                    throw flow.runtime(
                        "The item at index \(itemIndex - 1) is \(item.encodedByteCount) bytes, more than MaxInputBytesPerBatch (\(maxBytes)) allows for one batch")
                }
                carried = item
                break
            }
            items.append(item)
            bytes += size
        }
        guard !items.isEmpty else { return nil }
        var object = JSONObject()
        if let batchInput = batching.batchInput { object["BatchInput"] = batchInput }
        object["Items"] = .array(items)
        defer { childIndex += 1 }
        return ChildWork(index: childIndex, input: .object(object), itemCount: items.count)
    }
}

/// `ResultWriter`: where results go (`Resource` + `Parameters`) and how they are shaped
/// (`WriterConfig`).
struct ResultWriterSettings {
    enum Transformation: String { case none = "NONE", compact = "COMPACT", flatten = "FLATTEN" }

    var bucket: String?
    var prefix = ""
    var transformation = Transformation.compact
    var jsonLines = false

    init(_ writer: JSONValue?, flow: DataFlow, input: JSONValue) throws(ExecutionFailure) {
        guard let writer else { return }
        if writer["Resource"] != nil {
            transformation = .none
            var parameters: JSONValue = .object(JSONObject())
            if let raw = writer["Parameters"] {
                parameters = try flow.template(raw, field: "ResultWriter/Parameters", input: input, pathFailure: .runtime)
            } else if let raw = writer["Arguments"] {
                parameters = try flow.template(raw, field: "ResultWriter/Arguments", input: input, pathFailure: .runtime)
            }
            guard let bucket = parameters["Bucket"]?.stringValue, !bucket.isEmpty else {
                throw flow.runtime("The ResultWriter's Parameters must give a Bucket")
            }
            self.bucket = bucket
            prefix = parameters["Prefix"]?.stringValue ?? ""
        }
        if let config = writer["WriterConfig"] {
            if let name = config["Transformation"]?.stringValue {
                guard let value = Transformation(rawValue: name) else {
                    throw flow.runtime("The WriterConfig Transformation must be NONE, COMPACT or FLATTEN, but is \"\(name)\"")
                }
                transformation = value
            }
            if let type = config["OutputType"]?.stringValue {
                guard type == "JSON" || type == "JSONL" else { throw flow.runtime("The WriterConfig OutputType must be JSON or JSONL, but is \"\(type)\"") }
                jsonLines = type == "JSONL"
            }
        }
    }
}

/// A Map Run's counts and results as its children finish.
struct MapRunProgress {
    var snapshot: MapRunSnapshot
    let tolerance: Tolerance
    /// The number of items, once known (an array at once; a reader when it has ended).
    var knownTotal: Int? {
        didSet {
            if knownTotal != nil { snapshot.totalKnown = true }
        }
    }
    let sink: (any ResultSink)?
    let writer: ResultWriterSettings
    let observer: (any MapRunObserver)?
    var failure: ExecutionFailure?
    private(set) var isAborted = false
    var manifestKey: String?
    var stopped: Bool { failure != nil || isAborted }
    /// Without a ResultWriter resource: the outputs, by child index, and their size so far.
    private var outputs: [Int: [JSONValue]] = [:]
    private var outputBytes = 2
    /// Whether a journal stores each child's results (then the text printed for the result
    /// files goes to it as well).
    let journaled: Bool
    /// Where each result record is printed (its room kept from one record to the next).
    private var scratch = JSONByteBuffer(capacity: 4096)

    init(
        snapshot: MapRunSnapshot, tolerance: Tolerance, sink: (any ResultSink)?, writer: ResultWriterSettings, observer: (any MapRunObserver)?,
        journaled: Bool = false
    ) {
        self.snapshot = snapshot
        self.tolerance = tolerance
        self.sink = sink
        self.writer = writer
        self.observer = observer
        self.journaled = journaled
    }

    func publish() { observer?.mapRunChanged(snapshot) }

    mutating func stop(_ failure: ExecutionFailure) {
        if self.failure == nil { self.failure = failure }
    }

    mutating func abort() { isAborted = true }

    mutating func started(_ work: ChildWork) {
        snapshot.itemCounts.total += work.itemCount
        snapshot.itemCounts.running += work.itemCount
        snapshot.executionCounts.total += 1
        snapshot.executionCounts.running += 1
    }

    /// Items never started: counted, and written as PENDING records.
    mutating func pendingItems(_ work: ChildWork) {
        snapshot.itemCounts.total += work.itemCount
        snapshot.itemCounts.pending += work.itemCount
        snapshot.executionCounts.total += 1
        snapshot.executionCounts.pending += 1
        let record: JSONValue = ["Input": .string(work.input.compactString), "InputDetails": ["Included": true], "Status": "PENDING"]
        write([record], status: .pending, items: work.itemCount)
    }

    mutating func end(at date: Date) {
        snapshot.stopDate = date
        snapshot.totalKnown = true
        snapshot.status = isAborted ? .aborted : (failure != nil ? .failed : .succeeded)
        publish()
    }

    /// Counts a finished child and writes its results; returns what it contributed.
    mutating func record(_ outcome: ChildOutcome, state: State) -> CompletedChild {
        let items = outcome.work.itemCount
        snapshot.itemCounts.running -= items
        snapshot.executionCounts.running -= 1
        var child = CompletedChild(index: outcome.work.index, itemCount: items, status: .succeeded, results: [])
        switch outcome.result {
        case .success(let output):
            switch writer.transformation {
            case .none: child.results = [Self.record(outcome, output: output)]
            case .compact: child.results = [output]
            case .flatten: child.results = output.arrayValue ?? [output]
            }
        case .failure(let error):
            child.status = outcome.aborted ? .aborted : (outcome.timedOut ? .timedOut : .failed)
            child.results = [Self.record(outcome, output: nil, error: outcome.aborted ? nil : error)]
            if sink == nil, writer.transformation != .none { child.results = [.null] }
        }
        child.printedResults = count(child, state: state)
        return child
    }

    /// Counts and writes again a child that an interrupted run completed.
    mutating func replay(_ child: CompletedChild, state: State) {
        snapshot.itemCounts.total += child.itemCount
        snapshot.executionCounts.total += 1
        count(child, state: state)
    }

    /// Counts `child` and writes its results; returns them printed, for the journal.
    @discardableResult
    private mutating func count(_ child: CompletedChild, state: State) -> String? {
        let items = child.itemCount
        switch child.status {
        case .succeeded:
            snapshot.itemCounts.succeeded += items
            snapshot.executionCounts.succeeded += 1
        case .aborted:
            snapshot.itemCounts.aborted += items
            snapshot.executionCounts.aborted += 1
        case .timedOut:
            // Timed-out children count against the tolerated failures too.
            snapshot.itemCounts.timedOut += items
            snapshot.executionCounts.timedOut += 1
            checkTolerance()
        case .failed:
            snapshot.itemCounts.failed += items
            snapshot.executionCounts.failed += 1
            checkTolerance()
        }
        return write(child.results, status: child.status == .succeeded ? .succeeded : .failed, items: items, index: child.index, state: state)
    }

    /// Writes `values` to the result files, or keeps them as the Map's output. With result
    /// files and a journal, returns them as the JSON array the journal stores, from the text
    /// printed for the files (each value is printed once).
    @discardableResult
    private mutating func write(_ values: [JSONValue], status: ResultStatus, items: Int, index: Int = 0, state: State? = nil) -> String? {
        var printed: String?
        if let sink {
            var journalText: [UInt8] = []
            for value in values {
                scratch.removeAll()
                value.write(to: &scratch)
                do throws(ExecutionFailure) {
                    try scratch.withBytes { (bytes) throws(ExecutionFailure) in
                        try sink.write(printed: bytes, status: status)
                        guard journaled else { return }
                        journalText.append(journalText.isEmpty ? UInt8(ascii: "[") : UInt8(ascii: ","))
                        journalText.append(contentsOf: bytes)
                    }
                } catch { stop(error) }
            }
            if journaled { printed = journalText.isEmpty ? "[]" : String(decoding: journalText, as: UTF8.self) + "]" }
        } else {
            guard status != .pending, let state else { return nil }
            for value in values { outputBytes += value.encodedByteCount + 1 }
            outputs[index] = values
            if outputBytes > Interpreter.payloadLimit, !stopped {
                var failure = ExecutionFailure(
                    .dataLimitExceeded, cause: "The state/task '\(state.name)' returned a result with a size exceeding the maximum number of bytes service limit.")
                failure.terminal = true
                stop(failure)
            }
        }
        snapshot.itemCounts.resultsWritten += items
        snapshot.executionCounts.resultsWritten += 1
        return printed
    }

    /// Fails the run once its failures exceed what it tolerates (the percentage can only be
    /// judged once the number of items is known).
    mutating func checkTolerance() {
        if !stopped, tolerance.isExceeded(failed: snapshot.itemCounts.failed + snapshot.itemCounts.timedOut, total: knownTotal) {
            stop(ExecutionFailure(.exceedToleratedFailureThreshold, cause: "The specified tolerated failure threshold was exceeded"))
        }
    }

    func orderedOutputs() -> [JSONValue] {
        outputs.keys.sorted().flatMap { outputs[$0]! }
    }

    /// A child's execution record, as DescribeExecution gives it (the `NONE` transformation,
    /// and every failed child).
    static func record(_ outcome: ChildOutcome, output: JSONValue?, error: ExecutionFailure? = nil) -> JSONValue {
        var record = JSONObject()
        record["ExecutionArn"] = .string(outcome.executionArn)
        record["Input"] = .string(outcome.work.input.compactString)
        record["InputDetails"] = ["Included": true]
        record["Name"] = .string(outcome.name)
        if let output {
            record["Output"] = .string(output.compactString)
            record["OutputDetails"] = ["Included": true]
        }
        if let error {
            record["Error"] = .string(error.error.rawValue)
            if let cause = error.cause { record["Cause"] = .string(cause) }
        }
        record["RedriveCount"] = 0
        if output != nil {
            record["RedriveStatus"] = "NOT_REDRIVABLE"
            record["RedriveStatusReason"] = "Execution is SUCCEEDED and cannot be redriven"
        } else {
            record["RedriveStatus"] = "REDRIVABLE_BY_MAP_RUN"
        }
        record["StartDate"] = .string(Timestamps.format(outcome.started))
        record["StateMachineArn"] = .string(outcome.stateMachineArn)
        record["Status"] = .string(output != nil ? "SUCCEEDED" : (outcome.aborted ? "ABORTED" : (outcome.timedOut ? "TIMED_OUT" : "FAILED")))
        record["StopDate"] = .string(Timestamps.format(outcome.stopped))
        return .object(record)
    }
}
