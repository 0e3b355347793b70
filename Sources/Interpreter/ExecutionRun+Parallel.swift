import ASLErrors
import ASLModel
import JSONCore

extension ExecutionRun {
    /// Runs every branch with the same input, concurrently; the result is their outputs in
    /// branch order. A failing branch fails the state with that branch's own error (the first
    /// in branch order among those that failed), and the other branches are cancelled.
    /// `parts`: a top-level state of a durable execution, whose finished branches are kept
    /// (and, redriven, those that had succeeded are not run again).
    nonisolated(nonsending) func runBranches(_ branches: [StateMachineDefinition], input: JSONValue, frame: Frame, parts: StateParts?) async throws(ExecutionFailure) -> [JSONValue] {
        let results: [Result<JSONValue, ExecutionFailure>?] = await withTaskGroup(of: (Int, Result<JSONValue, ExecutionFailure>).self) { group in
            for (index, branch) in branches.enumerated() {
                if let output = parts?.reused[index] {
                    group.addTask { (index, .success(output)) }
                    continue
                }
                group.addTask { [self] in
                    let inner = Frame(variables: VariableScope(parent: frame.variables))
                    do throws(ExecutionFailure) {
                        return (index, .success(try await runScope(branch, input: input, frame: inner)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var collected = [Result<JSONValue, ExecutionFailure>?](repeating: nil, count: branches.count)
            for await (index, result) in group {
                collected[index] = result
                switch result {
                case .success(let output): parts.map { finishedParts?.finished(index, output, visit: $0.visit) }
                case .failure: group.cancelAll()
                }
            }
            return collected
        }
        var outputs: [JSONValue] = []
        for result in results {
            switch result {
            case .success(let value)?: outputs.append(value)
            case .failure(let failure)?: throw failure
            case nil: throw ExecutionFailure(.runtime, cause: "A branch did not finish")
            }
        }
        return outputs
    }
}

/// A top-level Parallel or inline Map state of a durable execution: its visit (the id of its
/// `...StateEntered` event), and the outputs a redrive reuses, by index.
struct StateParts: Sendable {
    var visit: Int
    var reused: [Int: JSONValue]
}

extension ExecutionRun {
    /// The parts of a Parallel or inline Map state that are kept: only for a top-level state of
    /// a durable execution.
    func parts(of state: State, flow: DataFlow, frame: Frame) -> StateParts? {
        guard journal != nil, frame.variables.parent == nil else { return nil }
        return StateParts(visit: flow.enteredEventId, reused: redriven?.take(state.name)?.succeeded ?? [:])
    }
}
