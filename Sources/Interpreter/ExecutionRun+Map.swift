import ASLErrors
import ASLModel
import JSONCore
import PathExpressions
import PayloadTemplates
import Synchronization

extension ExecutionRun {
    static let inlineConcurrency = 40
    static let distributedConcurrency = 10_000

    /// Runs a Map state over its items: inline (iterations recorded in this history), bounded
    /// by `MaxConcurrency`, or distributed (`runDistributedMap`).
    nonisolated(nonsending) func runMap(_ state: State, _ map: MapState, input: JSONValue, flow: DataFlow, frame: Frame) async throws(ExecutionFailure) -> JSONValue {
        if map.isDistributed { return try await runDistributedMap(state, map, input: input, flow: flow, frame: frame) }
        let jsonata = state.queryLanguage == .jsonata
        let elements = try jsonata ? jsonataItems(of: map, flow: flow, input: input) : items(of: map, flow: flow, input: input)
        let limit = try flow.integer(map.maxConcurrency, field: "MaxConcurrency", input: input) ?? 0
        history.record("MapStateStarted", at: clock.now(), detailsKey: "mapStateStartedEventDetails", details: ["length": .int(Int64(elements.count))])
        let selector: PayloadTemplate? = jsonata ? nil : map.itemSelector ?? state.parameters
        let jsonataSelector = jsonata ? map.rawItemSelector : nil

        // Each iteration's input: the item, or ItemSelector evaluated with $$.Map.Item.
        var iterationInputs: [JSONValue] = []
        iterationInputs.reserveCapacity(elements.count)
        let selectorBindings = jsonataSelector.map { _ in flow.jsonataBindings(input: input) }
        for (index, element) in elements.enumerated() {
            if let jsonataSelector, let selectorBindings {
                iterationInputs.append(try flow.jsonataItemSelector(jsonataSelector, item: element, index: index, bindings: selectorBindings))
                continue
            }
            guard let selector else {
                iterationInputs.append(element)
                continue
            }
            let item: JSONValue = ["Index": .int(Int64(index)), "Value": element]
            var context = flow.context.objectValue ?? JSONObject()
            context["Map"] = ["Item": item]
            let itemFlow = DataFlow(state: state, enteredEventId: flow.enteredEventId, entered: flow.entered, attempt: AttemptScope(context: .object(context)), variables: flow.variables)
            iterationInputs.append(try itemFlow.evaluate(selector, input: input, pathFailure: .parameterPathFailure))
        }

        let results = await runIterations(state, map, inputs: iterationInputs, limit: limit, frame: frame, parts: parts(of: state, flow: flow, frame: frame))
        var outputs: [JSONValue] = []
        for result in results {
            switch result {
            case .success(let value): outputs.append(value)
            case .failure(let failure): throw failure
            }
        }
        history.record("MapStateSucceeded", at: clock.now())
        return .array(outputs)
    }

    /// The array a Map iterates over: its input, or what `ItemsPath` selects from it.
    func items(of map: MapState, flow: DataFlow, input: JSONValue) throws(ExecutionFailure) -> [JSONValue] {
        var items: JSONValue = input
        if let itemsPath = map.itemsPath {
            do { items = try itemsPath.select(in: flow.scope(input)) } catch {
                throw flow.runtime("Invalid path '\(itemsPath.text)' : \(error.message)")
            }
        }
        guard case .array(let elements) = items else {
            throw flow.runtime("Item path \(map.itemsPath?.text ?? "$") does not point to an array. Value: \(items.compactString)")
        }
        return elements
    }

    /// The tolerated failures of a Distributed Map: a count and a percentage, each nil when not
    /// set (with neither, any failure fails the run), with AWS's messages for bad values.
    func toleratedFailures(_ map: MapState, state: State, flow: DataFlow, input: JSONValue) throws(ExecutionFailure) -> Tolerance {
        var tolerance = Tolerance()
        if let literal = map.toleratedFailureCount?.integerValue { tolerance.count = Int(literal) }
        if let literal = map.toleratedFailurePercentage?.doubleValue { tolerance.percentage = literal }
        if state.queryLanguage == .jsonata {
            let bindings = flow.jsonataBindings(input: input)
            if case .string(let text)? = map.toleratedFailureCount {
                tolerance.count = try flow.jsonataInteger(text, field: "ToleratedFailureCount", bindings)
            }
            if case .string(let text)? = map.toleratedFailurePercentage {
                let value = try flow.jsonata(.string(text), field: "ToleratedFailurePercentage", bindings)
                guard let n = value.doubleValue else {
                    throw flow.queryFailure(
                        JSONataFieldError(
                            expression: JSONataTemplate.expressionText(text) ?? text, field: "ToleratedFailurePercentage",
                            problem: .unexpectedType(expected: "number", value: value)))
                }
                tolerance.percentage = n
            }
        }
        if let path = map.toleratedFailureCountPath {
            let value = try select(path, flow: flow, input: input)
            guard let n = value.integerValue else {
                throw flow.runtime("The ToleratedFailureCountPath field refers to value \"\(value.stringValue ?? value.compactString)\" which is not a valid integer: \(path.text)")
            }
            tolerance.count = Int(n)
        }
        if let path = map.toleratedFailurePercentagePath {
            let value = try select(path, flow: flow, input: input)
            guard let n = value.doubleValue else {
                throw flow.runtime("The ToleratedFailurePercentagePath field refers to value \"\(value.stringValue ?? value.compactString)\" which is not a valid float: \(path.text)")
            }
            tolerance.percentage = n
        }
        if let count = tolerance.count, count < 0 { throw flow.runtime("ToleratedFailureCount cannot be negative.") }
        if let percentage = tolerance.percentage, percentage < 0 || percentage > 100 { throw flow.runtime("ToleratedFailurePercentage must be between 0 and 100.") }
        return tolerance
    }

    private func select(_ path: ReferencePath, flow: DataFlow, input: JSONValue) throws(ExecutionFailure) -> JSONValue {
        do { return try path.select(in: flow.scope(input)) } catch {
            throw flow.runtime("Invalid path '\(path.text)' : \(error.message)")
        }
    }

    /// Runs the inline iterations, at most `limit` at a time (0: AWS's 40), each in its own
    /// variable scope, recording their events; the first failure stops the rest. `parts`: a
    /// top-level state of a durable execution, whose finished iterations are kept (and,
    /// redriven, those that had succeeded are not run again).
    nonisolated(nonsending) func runIterations(
        _ state: State, _ map: MapState, inputs: [JSONValue], limit: Int, frame: Frame, parts: StateParts?
    ) async -> [Result<JSONValue, ExecutionFailure>] {
        // MaxConcurrency 0 means "as many as possible": AWS runs at most 40 inline iterations.
        let width = limit > 0 ? limit : Self.inlineConcurrency
        var results = [Result<JSONValue, ExecutionFailure>?](repeating: nil, count: inputs.count)
        for (index, output) in parts?.reused ?? [:] where index < inputs.count {
            results[index] = .success(output)
            finishedParts?.finished(index, output, visit: parts!.visit)
        }
        let pending = results.indices.filter { results[$0] == nil }
        // `width` tasks each run one iteration after another, taking the next index as they
        // finish one: no task made, and no task woken to hand out work, per iteration.
        let schedule = IterationSchedule(pending: pending, results: results)
        // Taken out of the Map once: read per iteration, it was a copy of the whole definition.
        let processor = map.processor
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<min(width, pending.count) {
                group.addTask { [self] in
                    var next = schedule.start()
                    while let index = next {
                        let result = await runIteration(index, state, processor, input: inputs[index], frame: frame)
                        if case .success(let output) = result, let parts { finishedParts?.finished(index, output, visit: parts.visit) }
                        next = schedule.finish(index, result)
                    }
                }
            }
        }
        return schedule.results.enumerated().map { index, result in
            result ?? .failure(ExecutionFailure(.runtime, cause: "Iteration \(index) did not run"))
        }
    }

    nonisolated(nonsending) private func runIteration(_ index: Int, _ state: State, _ processor: StateMachineDefinition, input: JSONValue, frame: Frame) async -> Result<JSONValue, ExecutionFailure> {
        history.record("MapIterationStarted", at: clock.now(), detailsKey: "mapIterationStartedEventDetails", stateName: state.name, iterationIndex: index)
        do throws(ExecutionFailure) {
            let output = try await runScope(processor, input: input, frame: Frame(variables: VariableScope(parent: frame.variables)))
            history.record("MapIterationSucceeded", at: clock.now(), detailsKey: "mapIterationSucceededEventDetails", stateName: state.name, iterationIndex: index)
            return .success(output)
        } catch {
            history.record("MapIterationFailed", at: clock.now(), detailsKey: "mapIterationFailedEventDetails", stateName: state.name, iterationIndex: index)
            return .failure(error)
        }
    }
}

/// Hands an inline Map's iterations to the tasks that run them, in order, and keeps their
/// results; after a failure it hands out no more (the running ones finish). Without a lock:
/// the next iteration is an atomic increment, and each result has a slot of its own. A lock
/// that every iteration took twice was fought over by the Map's tasks on every thread (and
/// it stored each result, a generic enum, while held).
private final class IterationSchedule: @unchecked Sendable {
    // @unchecked: a slot is written only by the task that ran its iteration, and read only
    // once every task has ended (the task group's end orders the writes before the read).
    private let pending: [Int]
    private let position = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)
    private let slots: UnsafeMutableBufferPointer<Result<JSONValue, ExecutionFailure>?>

    init(pending: [Int], results: [Result<JSONValue, ExecutionFailure>?]) {
        self.pending = pending
        slots = .allocate(capacity: results.count)
        _ = slots.initialize(from: results)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    /// The first iteration for a task to run.
    func start() -> Int? { next() }

    /// Records an iteration's result; returns the next for the same task.
    func finish(_ index: Int, _ result: Result<JSONValue, ExecutionFailure>) -> Int? {
        if case .failure = result { stopped.store(true, ordering: .releasing) }
        // A pending slot holds nil, which owns nothing: the result is put in place without
        // reading what was there first (an assignment loads the old value to release it, and
        // the slot's line, written last by the thread that made the schedule, was a cache
        // miss per iteration).
        (slots.baseAddress! + index).initialize(to: result)
        return next()
    }

    private func next() -> Int? {
        guard !stopped.load(ordering: .acquiring) else { return nil }
        let taken = position.wrappingAdd(1, ordering: .relaxed).oldValue
        return taken < pending.count ? pending[taken] : nil
    }

    /// Once every task has ended.
    var results: [Result<JSONValue, ExecutionFailure>?] { Array(slots) }
}

/// A Distributed Map's tolerated failures (`ToleratedFailureCount`/`Percentage` and their paths).
struct Tolerance: Sendable {
    var count: Int?
    var percentage: Double?

    /// Whether `failed` of `total` items exceed it (`total` nil: not known yet, so only the
    /// count can be judged).
    func isExceeded(failed: Int, total: Int?) -> Bool {
        if count == nil && percentage == nil { return failed > 0 }
        if let count, failed > count { return true }
        if let percentage, let total, total > 0, Double(failed) * 100 / Double(total) > percentage { return true }
        return false
    }
}
