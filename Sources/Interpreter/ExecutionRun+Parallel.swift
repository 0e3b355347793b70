import ASLErrors
import ASLModel
import JSONCore

extension ExecutionRun {
    /// Runs every branch with the same input, concurrently; the result is their outputs in
    /// branch order. A failing branch fails the state with that branch's own error (the first
    /// in branch order among those that failed), and the other branches are cancelled.
    func runBranches(_ branches: [StateMachineDefinition], input: JSONValue, frame: Frame) async throws(ExecutionFailure) -> [JSONValue] {
        let results: [Result<JSONValue, ExecutionFailure>?] = await withTaskGroup(of: (Int, Result<JSONValue, ExecutionFailure>).self) { group in
            for (index, branch) in branches.enumerated() {
                group.addTask {
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
                if case .failure = result { group.cancelAll() }
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
