import Foundation
import JSONCore
import Logging
import PluginHost
import PluginProtocol

/// The plugin host alone: `items` trivial invocations through a pool of `workers`, with twice
/// as many concurrent callers as the pool has slots (`workers × (1 + pipeline)`), so work is
/// always queued in the host, as when a Map runs many iterations. Prints one line: items,
/// seconds, items per second.
struct PluginBenchmark {
    var items: Int
    var workers: Int
    /// nil: the host's automatic pipelining.
    var pipeline: Int?
    var command: [String]
    var runtime: FunctionConfiguration.Runtime
    var handler: String?
    var directory: String
    var callers: Int?

    func run() async {
        var function = FunctionConfiguration(
            name: "bench", runtime: runtime, handler: handler, command: command, codeDirectory: directory, timeoutSeconds: 60,
            maximumWorkers: workers, minimumWarm: workers, pipelining: pipeline.map(Pipelining.depth) ?? .automatic)
        function.idleSeconds = 3600
        let host = PluginHost(registry: FunctionRegistry([function]), logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        // Warm every worker first: the clock starts with the pool ready, as in the baselines.
        host.warm("bench")
        let patience = Date().addingTimeInterval(30)
        while host.workerProcessIDs.count < workers, Date() < patience { try? await Task.sleep(nanoseconds: 10_000_000) }
        // A plugin that cannot start says why here, instead of the benchmark waiting forever.
        if case .failure(let failure) = await host.invoke(function: "bench", payload: ["n": 0], context: Self.context(0)) {
            FileHandle.standardError.write(Data("plugin benchmark: the plugin does not answer: \(failure.error): \(failure.errorMessage)\n".utf8))
            await host.shutdown()
            exit(1)
        }
        let lanes = callers ?? workers * (1 + (pipeline ?? Pipelining.automaticLimit)) * 2
        let counter = Counter()
        let start = Date()
        await withTaskGroup(of: Int.self) { group in
            for _ in 0..<lanes {
                group.addTask {
                    var failures = 0
                    while let number = counter.next(limit: items) {
                        if case .failure = await host.invoke(function: "bench", payload: ["n": .int(Int64(number))], context: Self.context(number)) {
                            failures += 1
                        }
                    }
                    return failures
                }
            }
            let failures = await group.reduce(0, +)
            if failures > 0 { FileHandle.standardError.write(Data("plugin benchmark: \(failures) invocations failed\n".utf8)) }
        }
        let seconds = Date().timeIntervalSince(start)
        await host.shutdown()
        print(String(format: "%d %.6f %.1f", items, seconds, Double(items) / seconds))
    }

    static func context(_ number: Int) -> InvocationContext {
        InvocationContext(requestId: "00000000-0000-4000-8000-\(number)", invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:bench")
    }
}

/// Hands out invocation numbers to the concurrent callers.
final class Counter: @unchecked Sendable {
    // @unchecked: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value = 0

    func next(limit: Int) -> Int? {
        lock.withLock {
            guard value < limit else { return nil }
            value += 1
            return value
        }
    }
}
