import ExecutionStore
import Foundation
import JSONCore
import Testing

#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// A Standard execution survives SIGKILL: `statesman run` is killed at random moments while a
/// Distributed Map works through 100,000 items with a Python function and a ResultWriter;
/// `statesman resume` continues it each time, until it finishes. Each item's result must be
/// in the result files exactly once, and the Map Run's counts, its child executions and the
/// history must agree. (bench/crash-recovery/soak.sh does the same with 50 kills.)
@Suite struct CrashRecoveryTests {
    static let items = 100_000
    static let batch = 50
    static let workload = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("bench/crash-recovery")

    @Test func killedRunsResumeUntilEveryItemIsDoneExactlyOnce() throws {
        let directory = TestFiles.path("crash")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("store")
        let state = directory.appendingPathComponent("state").path
        try FileManager.default.createDirectory(at: store.appendingPathComponent("data"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: store.appendingPathComponent("results"), withIntermediateDirectories: true)
        var lines = ""
        for id in 0..<Self.items { lines += "{\"id\":\(id),\"text\":\"item \(id)\"}\n" }
        try Data(lines.utf8).write(to: store.appendingPathComponent("data/items.jsonl"))

        let run = [
            "run", Self.workload.appendingPathComponent("crash.asl.json").path, "--functions", Self.workload.appendingPathComponent("functions.yaml").path,
            "--store", store.path, "--state", state, "--name", "crash", "--json",
        ]
        let resume = ["resume", "crash", "--state", state, "--json"]
        // The first kill comes at a random moment soon after the start (before or just after
        // the Map Run begins); the others at random points of the Map Run's committed
        // progress, so each attempt gets somewhere before it dies.
        var generator = SystemRandomNumberGenerator()
        let thresholds = (0..<5).map { _ in Int.random(in: Self.items / 10...Self.items * 17 / 20, using: &generator) }.sorted()
        var kills: [String] = []
        var finished: ChildProcess.Finished?
        var attempt = 0
        while finished == nil {
            // Killed before it recorded the execution, it has nothing to resume: it starts again.
            let database = state + "/statesman.db"
            let recorded = try FileManager.default.fileExists(atPath: database)
                && SQLiteExecutionStore(path: database).execution("arn:aws:states:us-east-1:123456789012:execution:crash:crash") != nil
            let process = try ChildProcess(StatesmanProcess.executable.path, recorded ? resume : run)
            let killed: Bool
            if attempt == 0 {
                killed = Self.kill(process, after: .milliseconds(Int.random(in: 50...400, using: &generator)))
            } else if attempt <= thresholds.count {
                killed = try Self.kill(process, whenSucceeded: thresholds[attempt - 1], state: state, extra: .milliseconds(Int.random(in: 0...150, using: &generator)))
            } else {
                killed = false
            }
            let result = process.wait()
            #expect(killed || result.status == 0, "\(String(decoding: result.stderr, as: UTF8.self))")
            if killed {
                #expect(result.status == 128 + SIGKILL)
                kills.append("attempt \(attempt)")
            } else {
                finished = result
            }
            attempt += 1
            #expect(attempt < 20, "the execution never finished")
            if attempt >= 20 { return }
        }
        #expect(kills.count >= 5, "only \(kills.count) kills: \(kills)")
        let result = try #require(finished)
        let output = try JSONValue(parsing: String(decoding: result.stdout, as: UTF8.self))
        #expect(output["status"] == "SUCCEEDED", "\(String(decoding: result.stderr, as: UTF8.self))")

        // Every item's result exactly once in the result files.
        let manifestKey = try #require(output["output"]?["results"]?["ResultWriterDetails"]?["Key"]?.stringValue)
        let manifest = try JSONValue(parsing: Data(contentsOf: store.appendingPathComponent("results").appendingPathComponent(manifestKey)))
        #expect(manifest["ResultFiles"]?["FAILED"]?.arrayValue?.isEmpty ?? true)
        #expect(manifest["ResultFiles"]?["PENDING"]?.arrayValue?.isEmpty ?? true)
        var seen = [UInt8](repeating: 0, count: Self.items)
        var records = 0
        for file in manifest["ResultFiles"]?["SUCCEEDED"]?.arrayValue ?? [] {
            let key = try #require(file["Key"]?.stringValue)
            let contents = try JSONValue(parsing: Data(contentsOf: store.appendingPathComponent("results").appendingPathComponent(key)))
            for record in contents.arrayValue ?? [] {
                records += 1
                let ids = try JSONValue(parsing: record["Output"]?.stringValue ?? "")["ids"]?.arrayValue ?? []
                for id in ids { seen[Int(id.integerValue ?? -1)] += 1 }
            }
        }
        #expect(records == Self.items / Self.batch)
        #expect(seen.allSatisfy { $0 == 1 }, "items missing: \(seen.filter { $0 == 0 }.count), repeated: \(seen.filter { $0 > 1 }.count)")
        // The killed processes' unfinished result files were cleared away.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: store.appendingPathComponent("results/.statesman-tmp").path)
        #expect(leftovers.isEmpty, "\(leftovers)")

        // The Map Run's counts and its child executions agree.
        let executions = try SQLiteExecutionStore(path: state + "/statesman.db")
        let arn = "arn:aws:states:us-east-1:123456789012:execution:crash:crash"
        let mapRun = try #require(try executions.mapRuns(executionArn: arn).first)
        #expect(try executions.mapRuns(executionArn: arn).count == 1)
        #expect(mapRun.status == "SUCCEEDED")
        let counts = mapRun.description["itemCounts"]
        #expect(counts?["succeeded"] == .int(Int64(Self.items)))
        #expect(counts?["total"] == .int(Int64(Self.items)))
        #expect(counts?["resultsWritten"] == .int(Int64(Self.items)))
        #expect(counts?["running"] == 0 && counts?["pending"] == 0 && counts?["failed"] == 0)
        #expect(mapRun.description["executionCounts"]?["succeeded"] == .int(Int64(Self.items / Self.batch)))
        let children = try executions.children(of: mapRun.arn)
        #expect(children.count == Self.items / Self.batch)
        #expect(Set(children.map(\.name)).count == children.count)
        #expect(children.allSatisfy { $0.status == "SUCCEEDED" })

        // The history is whole: ids in order, one start and one end, every state closed.
        let history = try executions.history(of: arn)
        #expect(history.map { $0["id"]?.integerValue ?? 0 } == Array(1...Int64(history.count)))
        #expect(history.allSatisfy { ($0["previousEventId"]?.integerValue ?? -1) < ($0["id"]?.integerValue ?? 0) })
        let types = history.compactMap { $0["type"]?.stringValue }
        #expect(types.filter { $0 == "ExecutionStarted" }.count == 1)
        #expect(types.last == "ExecutionSucceeded")
        #expect(types.filter { $0 == "MapRunStarted" }.count == 1)
        #expect(types.filter { $0.hasSuffix("StateEntered") }.count == types.filter { $0.hasSuffix("StateExited") }.count)
        #expect(try executions.execution(arn)?.status == "SUCCEEDED")
    }

    /// Kills the process after `delay`; false when it had already ended.
    static func kill(_ process: ChildProcess, after delay: Duration) -> Bool {
        Thread.sleep(forTimeInterval: Double(delay.components.attoseconds) / 1e18 + Double(delay.components.seconds))
        return signal(process, SIGKILL)
    }

    /// Kills the process once its Map Run has committed `threshold` succeeded items (and
    /// `extra` later); false when it ended first.
    static func kill(_ process: ChildProcess, whenSucceeded threshold: Int, state: String, extra: Duration) throws -> Bool {
        let arn = "arn:aws:states:us-east-1:123456789012:execution:crash:crash"
        let executions = try SQLiteExecutionStore(path: state + "/statesman.db")
        while hasNotEnded(process) {
            let succeeded = try executions.mapRuns(executionArn: arn).first?.description["itemCounts"]?["succeeded"]?.integerValue ?? 0
            if succeeded >= threshold { return kill(process, after: extra) }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    static func signal(_ process: ChildProcess, _ signal: Int32) -> Bool {
        hasNotEnded(process) && Glibc.kill(process.pid, signal) == 0
    }

    /// Whether the process is still running (WNOWAIT leaves its exit for `wait()` to collect).
    static func hasNotEnded(_ process: ChildProcess) -> Bool {
        var info = siginfo_t()
        return !(waitid(P_PID, id_t(process.pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info._sifields._kill.si_pid == process.pid)
    }
}
