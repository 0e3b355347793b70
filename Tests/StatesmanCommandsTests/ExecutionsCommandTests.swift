import Foundation
import JSONCore
import Testing
import TestSupport

/// `statesman run` keeps Standard executions in the execution store; `executions` and
/// `map-runs` read them back, as tables and as AWS-shaped JSON.
@Suite struct ExecutionsCommandTests {
    @Test func runsAreRecordedAndReadBack() throws {
        let directory = TestFiles.path("executions")
        defer { try? FileManager.default.removeItem(at: directory) }
        let state = directory.appendingPathComponent("state").path
        let store = directory.appendingPathComponent("store")
        try FileManager.default.createDirectory(at: store.appendingPathComponent("data"), withIntermediateDirectories: true)
        try Data("1\n2\n3\n".utf8).write(to: store.appendingPathComponent("data/items.jsonl"))
        let machine = directory.appendingPathComponent("numbers.asl.json")
        try Data(
            #"""
            {"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": true,
              "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSONL"}, "Parameters": {"Bucket": "data", "Key": "items.jsonl"}},
              "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}
            """#.utf8
        ).write(to: machine)

        let first = try StatesmanProcess.run(["run", machine.path, "--store", store.path, "--state", state, "--name", "one", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("execution: arn:aws:states:us-east-1:123456789012:execution:numbers:one"))
        let failing = try StatesmanProcess.run(["run", machine.path, "--store", directory.path, "--state", state, "--name", "two", "--json"])
        #expect(failing.status == 1)
        let again = try StatesmanProcess.run(["run", machine.path, "--store", store.path, "--state", state, "--name", "one"])
        #expect(again.status == 2, "an execution name is used once")

        let listed = try #require(try StatesmanProcess.run(["executions", "list", "--state", state, "--json"]).json?["executions"]?.arrayValue)
        #expect(listed.map { $0["name"] } == ["two", "one"])
        #expect(listed.map { $0["status"] } == ["FAILED", "SUCCEEDED"])
        let failed = try #require(try StatesmanProcess.run(["executions", "list", "--state", state, "--status", "failed", "--json"]).json?["executions"]?.arrayValue)
        #expect(failed.count == 1)

        let described = try #require(try StatesmanProcess.run(["executions", "describe", "one", "--state", state, "--json"]).json)
        #expect(described["output"] == "[1,2,3]")
        #expect(described["input"] == "{}")
        let history = try #require(try StatesmanProcess.run(["executions", "history", "one", "--state", state, "--json"]).json?["events"]?.arrayValue)
        #expect(history.first?["type"] == "ExecutionStarted")
        #expect(history.last?["type"] == "ExecutionSucceeded")
        #expect(history.map { $0["id"]?.integerValue ?? 0 } == Array(1...Int64(history.count)))
        let table = try StatesmanProcess.run(["executions", "history", "one", "--state", state])
        #expect(table.stdout.contains("MapRunSucceeded"))

        let runs = try #require(try StatesmanProcess.run(["map-runs", "list", "--execution", "one", "--state", state, "--json"]).json?["mapRuns"]?.arrayValue)
        #expect(runs.count == 1)
        let arn = try #require(runs.first?["mapRunArn"]?.stringValue)
        let run = try #require(try StatesmanProcess.run(["map-runs", "describe", arn, "--state", state, "--json"]).json)
        #expect(run["status"] == "SUCCEEDED")
        #expect(run["itemCounts"]?["succeeded"] == 3)
        #expect(run["itemCounts"]?["total"] == 3)
        // The children were Express: AWS keeps no record of them, nor does Statesman.
        let children = try #require(try StatesmanProcess.run(["executions", "list", "--map-run", arn, "--state", state, "--json"]).json?["executions"]?.arrayValue)
        #expect(children.isEmpty)

        // Standard children are kept, each with its own history and the Map Run's ARN.
        let standard = directory.appendingPathComponent("standard.asl.json")
        try Data(
            String(decoding: try Data(contentsOf: machine), as: UTF8.self).replacingOccurrences(of: "\"EXPRESS\"", with: "\"STANDARD\"").utf8
        ).write(to: standard)
        #expect(try StatesmanProcess.run(["run", standard.path, "--store", store.path, "--state", state, "--name", "std", "--json"]).status == 0)
        let standardRun = try #require(
            try StatesmanProcess.run(["map-runs", "list", "--execution", "std", "--state", state, "--json"]).json?["mapRuns"]?[0]?["mapRunArn"]?.stringValue)
        let kept = try #require(try StatesmanProcess.run(["executions", "list", "--map-run", standardRun, "--state", state, "--json"]).json?["executions"]?.arrayValue)
        #expect(kept.count == 3)
        #expect(kept.allSatisfy { $0["status"] == "SUCCEEDED" && $0["mapRunArn"]?.stringValue == standardRun })
        let childArn = try #require(kept.first?["executionArn"]?.stringValue)
        #expect(childArn.contains(":execution:standard/Each:"))
        let childHistory = try #require(try StatesmanProcess.run(["executions", "history", childArn, "--state", state, "--json"]).json?["events"]?.arrayValue)
        #expect(childHistory.map { $0["type"] } == ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"])
        let parents = try #require(try StatesmanProcess.run(["executions", "list", "--state", state, "--json"]).json?["executions"]?.arrayValue)
        #expect(parents.map { $0["name"] } == ["std", "two", "one"])

        let missing = try StatesmanProcess.run(["executions", "describe", "nope", "--state", state])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no execution nope"))
    }

    /// A function registry with a mistake is a usage error found before anything is recorded:
    /// no execution left RUNNING by `run`, none marked redriven by `redrive`.
    @Test func aBrokenRegistryRecordsNothing() throws {
        let directory = try TestFiles.directory("broken-registry")
        defer { try? FileManager.default.removeItem(at: directory) }
        let state = directory.appendingPathComponent("state").path
        let machine = directory.appendingPathComponent("fails.asl.json")
        try Data(#"{"StartAt": "Stop", "States": {"Stop": {"Type": "Fail", "Error": "Broken", "Cause": "on purpose"}}}"#.utf8).write(to: machine)
        let registry = directory.appendingPathComponent("functions.yaml")
        try Data("functions:\n  f:\n    runtime: python\n    handler: app.handler\n".utf8).write(to: registry)
        let failed = try StatesmanProcess.run(["run", machine.path, "--functions", registry.path, "--state", state, "--name", "first"])
        #expect(failed.status == 1, "\(failed.stderr)")

        try Data("functions:\n  f:\n    runtime: python3.99\n    handler: app.handler\n".utf8).write(to: registry)
        let run = try StatesmanProcess.run(["run", machine.path, "--functions", registry.path, "--state", state, "--name", "second"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("functions.f.runtime: must be python, shell or command"))
        #expect(!run.stderr.contains("execution: arn:"))
        let redrive = try StatesmanProcess.run(["executions", "redrive", "first", "--state", state])
        #expect(redrive.status == 2)
        #expect(redrive.stderr.contains("functions.f.runtime"))

        let listed = try #require(try StatesmanProcess.run(["executions", "list", "--state", state, "--json"]).json?["executions"]?.arrayValue)
        #expect(listed.map { $0["name"] } == ["first"])
        #expect(listed.map { $0["status"] } == ["FAILED"])
        let history = try #require(try StatesmanProcess.run(["executions", "history", "first", "--state", state, "--json"]).json?["events"]?.arrayValue)
        #expect(!history.contains { $0["type"] == "ExecutionRedriven" })
    }
}

@Suite struct StopExecutionTests {
    @Test func stopAbortsARunningExecutionInAnotherProcess() throws {
        let directory = TestFiles.path("stop")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let state = directory.appendingPathComponent("state").path
        let machine = directory.appendingPathComponent("slow.asl.json")
        try Data(#"{"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 600, "End": true}}}"#.utf8).write(to: machine)

        let running = try ChildProcess(StatesmanProcess.executable.path, ["run", machine.path, "--state", state, "--name", "napping", "--json"])
        var ended = false
        defer { if !ended { kill(running.pid, SIGKILL); _ = running.wait() } }

        // Wait until it is recorded as RUNNING (the suite runs in parallel: no fixed delay).
        var recorded = false
        let patience = Date().addingTimeInterval(120)
        while !recorded, Date() < patience {
            let listed = try StatesmanProcess.run(["executions", "list", "--state", state, "--status", "RUNNING", "--json"])
            recorded = listed.json?["executions"]?.arrayValue?.count == 1
            if !recorded { Thread.sleep(forTimeInterval: 0.05) }
        }
        try #require(recorded)
        let stop = try StatesmanProcess.run(["executions", "stop", "napping", "--state", state, "--error", "Operator", "--cause", "maintenance window"])
        #expect(stop.status == 0, "\(stop.stderr)")
        #expect(stop.json?["stopDate"]?.doubleValue != nil)

        let finished = running.wait()
        ended = true
        #expect(finished.status == 1)
        let outcome = try JSONValue(parsing: finished.stdout)
        #expect(outcome["status"] == "ABORTED")
        let described = try #require(try StatesmanProcess.run(["executions", "describe", "napping", "--state", state, "--json"]).json)
        #expect(described["status"] == "ABORTED")
        #expect(described["error"] == "Operator")
        #expect(described["cause"] == "maintenance window")
        let events = try #require(try StatesmanProcess.run(["executions", "history", "napping", "--state", state, "--json"]).json?["events"]?.arrayValue)
        #expect(events.last?["type"] == "ExecutionAborted")
        #expect(events.last?["executionAbortedEventDetails"] == ["error": "Operator", "cause": "maintenance window"])

        let again = try StatesmanProcess.run(["executions", "stop", "napping", "--state", state])
        #expect(again.status == 2)
        #expect(again.stderr.contains("is ABORTED, not RUNNING"))
    }
}
