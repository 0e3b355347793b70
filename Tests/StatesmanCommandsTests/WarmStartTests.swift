import Foundation
import JSONCore
import PluginProtocol
import Testing
import TestSupport

@testable import StatesmanCommands

/// `statesman run` makes its plugin host with `ExecutionSession.startHost` as it begins: the
/// workers of a function with `minWarm` start then, before any Task needs them; a function
/// without `minWarm` starts its first worker when a Task calls it.
@Suite struct WarmStartTests {
    @Test func theHostStartsTheMinWarmWorkersAtOnce() async throws {
        let directory = TestFiles.path("warm-start")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for name in ["kept", "lazy"] {
            try Data("def handler(event, context):\n    return event\n".utf8).write(to: directory.appendingPathComponent("\(name).py"))
        }
        let registry = directory.appendingPathComponent("functions.yaml")
        try Data("functions:\n  kept:\n    handler: kept.handler\n    minWarm: 2\n    concurrency: 2\n  lazy:\n    handler: lazy.handler\n".utf8).write(to: registry)
        let launch = Launch(functions: registry.path, store: directory.path, waitScale: 1, maxChildren: 1)
        let host = try #require(ExecutionSession.startHost(try ExecutionSession.loadRegistry(launch), launch: launch))
        // The loop thread spawns them: wait for both (a loaded machine may take a while).
        let deadline = Date().addingTimeInterval(10)
        while host.workerProcessIDs.count < 2, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(host.workerProcessIDs.count == 2, "kept's workers start before any invocation")
        // One invocation through the loop, which by then has carried out every spawn asked before.
        #expect(try await host.invoke(function: "kept", payload: 1, context: .init(requestId: "r", invokedFunctionArn: "")).get() == 1)
        let pids = host.workerProcessIDs
        let handlers = pids.map { pid in
            (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)).map { $0.contains("kept.handler") ? "kept" : "other" } ?? "gone"
        }
        #expect(handlers == ["kept", "kept"], "kept's two workers, and none of lazy's")
        await host.shutdown()
        #expect(allReaped(pids))
    }
}
