import ASLErrors
import ASLModel
import JSONCore
import PathExpressions
import PayloadTemplates

extension ExecutionRun {
    static let inlineConcurrency = 40
    static let distributedConcurrency = 10_000

    /// Runs a Map state over its items: inline (iterations recorded in this history) or
    /// distributed (a Map Run whose child executions keep their own histories), bounded by
    /// `MaxConcurrency` (0: no bound).
    func runMap(_ state: State, _ map: MapState, input: JSONValue, flow: DataFlow, frame: Frame) async throws(ExecutionFailure) -> JSONValue {
        var items: JSONValue = input
        if let itemsPath = map.itemsPath {
            do { items = try itemsPath.select(in: flow.scope(input)) } catch {
                throw flow.runtime("Invalid path '\(itemsPath.text)' : \(error.message)")
            }
        }
        guard case .array(let elements) = items else {
            throw flow.runtime("Item path \(map.itemsPath?.text ?? "$") does not point to an array. Value: \(items.compactString)")
        }
        // AWS (recorded): a bad MaxConcurrencyPath fails before MapStateStarted, a bad tolerated
        // failure value after it.
        let limit = try flow.integer(map.maxConcurrency, field: "MaxConcurrency", input: input) ?? 0
        history.record("MapStateStarted", at: clock.now(), detailsKey: "mapStateStartedEventDetails", details: ["length": .int(Int64(elements.count))])
        let tolerance = map.isDistributed ? try toleratedFailures(map, state: state, flow: flow, input: input) : nil
        let selector: PayloadTemplate? = map.itemSelector ?? state.parameters
        if map.isDistributed { history.record("MapRunStarted", at: clock.now()) }

        // Each iteration's input: the item, or ItemSelector evaluated with $$.Map.Item.
        var iterationInputs: [JSONValue] = []
        iterationInputs.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            guard let selector else {
                iterationInputs.append(element)
                continue
            }
            let item: JSONValue = ["Index": .int(Int64(index)), "Value": element]
            var context = flow.context.objectValue ?? JSONObject()
            context["Map"] = ["Item": item]
            let itemFlow = DataFlow(state: state, enteredEventId: flow.enteredEventId, lazyContext: LazyJSON(value: .object(context)), variables: flow.variables)
            iterationInputs.append(try itemFlow.evaluate(selector, input: input, pathFailure: .parameterPathFailure))
        }

        let results = await runIterations(state, map, inputs: iterationInputs, limit: limit, frame: frame)
        var outputs: [JSONValue] = []
        var failures: [(Int, ExecutionFailure)] = []
        for (index, result) in results.enumerated() {
            switch result {
            case .success(let value): outputs.append(value)
            case .failure(let failure):
                failures.append((index, failure))
                outputs.append(.null)
            }
        }
        if let tolerance {
            let exceeded = failures.count > tolerance.count || (elements.isEmpty ? false : Double(failures.count) * 100 / Double(elements.count) > tolerance.percentage)
            if exceeded {
                history.record("MapRunFailed", at: clock.now())
                throw ExecutionFailure(.exceedToleratedFailureThreshold, cause: "The specified tolerated failure threshold was exceeded")
            }
            history.record("MapRunSucceeded", at: clock.now())
        } else if let (_, failure) = failures.first {
            throw failure
        }
        history.record("MapStateSucceeded", at: clock.now())
        return .array(outputs)
    }

    /// The tolerated failures of a Distributed Map: a count (default 0) and a percentage
    /// (default 0), with AWS's messages for bad values.
    func toleratedFailures(_ map: MapState, state: State, flow: DataFlow, input: JSONValue) throws(ExecutionFailure) -> (count: Int, percentage: Double) {
        var count = Int.max, percentage = 100.0
        var anySet = false
        if let literal = map.toleratedFailureCount?.integerValue {
            count = Int(literal)
            anySet = true
        }
        if let literal = map.toleratedFailurePercentage?.doubleValue {
            percentage = literal
            anySet = true
        }
        if let path = map.toleratedFailureCountPath {
            let value = try select(path, flow: flow, input: input)
            guard let n = value.integerValue else {
                throw flow.runtime("The ToleratedFailureCountPath field refers to value \"\(value.stringValue ?? value.compactString)\" which is not a valid integer: \(path.text)")
            }
            count = Int(n)
            anySet = true
        }
        if let path = map.toleratedFailurePercentagePath {
            let value = try select(path, flow: flow, input: input)
            guard let n = value.doubleValue else {
                throw flow.runtime("The ToleratedFailurePercentagePath field refers to value \"\(value.stringValue ?? value.compactString)\" which is not a valid float: \(path.text)")
            }
            percentage = n
            anySet = true
        }
        if count < 0 { throw flow.runtime("ToleratedFailureCount cannot be negative.") }
        if percentage < 0 || percentage > 100 { throw flow.runtime("ToleratedFailurePercentage must be between 0 and 100.") }
        if !anySet { return (0, 0) }
        if map.toleratedFailureCount == nil && map.toleratedFailureCountPath == nil { count = 0 }
        if map.toleratedFailurePercentage == nil && map.toleratedFailurePercentagePath == nil { percentage = 0 }
        return (count, percentage)
    }

    private func select(_ path: ReferencePath, flow: DataFlow, input: JSONValue) throws(ExecutionFailure) -> JSONValue {
        do { return try path.select(in: flow.scope(input)) } catch {
            throw flow.runtime("Invalid path '\(path.text)' : \(error.message)")
        }
    }

    /// Runs the iterations, at most `limit` at a time (0: all at once), each in its own
    /// variable scope. Inline iterations record their events; distributed ones (child
    /// executions) do not appear in this history.
    func runIterations(_ state: State, _ map: MapState, inputs: [JSONValue], limit: Int, frame: Frame) async -> [Result<JSONValue, ExecutionFailure>] {
        // MaxConcurrency 0 means "as many as possible": AWS runs at most 40 inline iterations
        // at once, and a Distributed Map at most 10,000 child executions.
        let width = limit > 0 ? limit : (map.isDistributed ? Self.distributedConcurrency : Self.inlineConcurrency)
        return await withTaskGroup(of: (Int, Result<JSONValue, ExecutionFailure>).self) { group in
            var results = [Result<JSONValue, ExecutionFailure>?](repeating: nil, count: inputs.count)
            var nextIndex = 0
            var stop = false
            func start(_ index: Int) {
                group.addTask {
                    let child = map.isDistributed ? ExecutionRun(interpreter: interpreter, history: History(), options: options, input: inputs[index], startTime: clock.now()) : self
                    if !map.isDistributed {
                        history.record("MapIterationStarted", at: clock.now(), detailsKey: "mapIterationStartedEventDetails", stateName: state.name, iterationIndex: index)
                    }
                    // A distributed child cannot see the parent's variables.
                    let variables = map.isDistributed ? VariableScope(parent: nil) : VariableScope(parent: frame.variables)
                    do throws(ExecutionFailure) {
                        let output = try await child.runScope(map.processor, input: inputs[index], frame: Frame(variables: variables))
                        if !map.isDistributed {
                            history.record("MapIterationSucceeded", at: clock.now(), detailsKey: "mapIterationSucceededEventDetails", stateName: state.name, iterationIndex: index)
                        }
                        return (index, .success(output))
                    } catch {
                        if !map.isDistributed {
                            history.record("MapIterationFailed", at: clock.now(), detailsKey: "mapIterationFailedEventDetails", stateName: state.name, iterationIndex: index)
                        }
                        return (index, .failure(error))
                    }
                }
            }
            while nextIndex < min(width, inputs.count) {
                start(nextIndex)
                nextIndex += 1
            }
            for await (index, result) in group {
                results[index] = result
                if case .failure = result, !map.isDistributed { stop = true }
                if !stop, nextIndex < inputs.count {
                    start(nextIndex)
                    nextIndex += 1
                }
            }
            return results.enumerated().map { index, result in
                result ?? .failure(ExecutionFailure(.runtime, cause: "Iteration \(index) did not run"))
            }
        }
    }
}
