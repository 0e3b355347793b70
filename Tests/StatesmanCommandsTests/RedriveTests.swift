import ExecutionStore
import Foundation
import JSONCore
import Testing
import TestSupport

/// `statesman executions redrive`: a failed Standard execution runs again from the state that
/// failed, with the same input and ARN, and what succeeded before is not run again. A Python
/// function fails the items marked `fail` until a file named `fixed` exists, and logs every
/// call, so each test can count what ran.
@Suite struct RedriveTests {
    let directory: URL
    let state: String
    let store: URL

    init() throws {
        directory = TestFiles.path("redrive")
        state = directory.appendingPathComponent("state").path
        store = directory.appendingPathComponent("store")
        try FileManager.default.createDirectory(at: store.appendingPathComponent("results"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: store.appendingPathComponent("data"), withIntermediateDirectories: true)
        try Data(
            """
            import json, os

            HERE = os.path.dirname(os.path.abspath(__file__))

            def handler(event, context):
                with open(os.path.join(HERE, "calls.log"), "a") as log:
                    log.write(json.dumps(event.get("id")) + "\\n")
                if event.get("fail") and not os.path.exists(os.path.join(HERE, "fixed")):
                    raise RuntimeError("not fixed yet: %s" % event.get("id"))
                return {"id": event.get("id"), "redrives": event.get("redrives")}
            """.utf8
        ).write(to: directory.appendingPathComponent("flaky.py"))
        try Data("functions:\n  flaky:\n    runtime: python\n    handler: flaky.handler\n    directory: .\n    concurrency: 2\n".utf8)
            .write(to: directory.appendingPathComponent("functions.yaml"))
    }

    static let flaky = "arn:aws:lambda:us-east-1:123456789012:function:flaky"

    func run(_ name: String, _ definition: String) throws -> StatesmanProcess.Result {
        let file = directory.appendingPathComponent("\(name).asl.json")
        try Data(definition.utf8).write(to: file)
        return try StatesmanProcess.run([
            "run", file.path, "--functions", directory.appendingPathComponent("functions.yaml").path, "--store", store.path, "--state", state, "--name", name,
            "--json",
        ])
    }

    func redrive(_ name: String) throws -> StatesmanProcess.Result {
        try StatesmanProcess.run(["executions", "redrive", name, "--state", state, "--json"])
    }

    func fix() { _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("fixed").path, contents: nil) }

    /// How many times the function was called for each id.
    func calls() throws -> [String: Int] {
        let text = (try? String(contentsOf: directory.appendingPathComponent("calls.log"), encoding: .utf8)) ?? ""
        var counts: [String: Int] = [:]
        for line in text.split(separator: "\n") { counts[(try JSONValue(parsing: String(line))).stringValue ?? "?", default: 0] += 1 }
        return counts
    }

    func history(_ name: String) throws -> [JSONValue] {
        try #require(try StatesmanProcess.run(["executions", "history", name, "--state", state, "--json"]).json?["events"]?.arrayValue)
    }

    @Test func aFailedTaskRunsAgainAndWhatSucceededBeforeDoesNot() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let definition = """
            {"StartAt": "First", "States": {
              "First": {"Type": "Task", "Resource": "\(Self.flaky)", "Parameters": {"id": "first"}, "ResultPath": "$.first", "Next": "Second"},
              "Second": {"Type": "Task", "Resource": "\(Self.flaky)", "Parameters": {"id": "second", "fail": true, "redrives.$": "$$.Execution.RedriveCount"},
                "ResultPath": "$.second", "End": true}}}
            """
        let failed = try run("task", definition)
        #expect(failed.status == 1)
        #expect(failed.json?["error"] == "RuntimeError")
        fix()
        let redriven = try redrive("task")
        #expect(redriven.status == 0, "\(redriven.stderr)")
        #expect(redriven.json?["output"] == ["first": ["id": "first", "redrives": nil], "second": ["id": "second", "redrives": 1]])
        #expect(try calls() == ["first": 1, "second": 2])

        let described = try #require(try StatesmanProcess.run(["executions", "describe", "task", "--state", state, "--json"]).json)
        #expect(described["status"] == "SUCCEEDED" && described["redriveCount"] == 1 && described["redriveDate"] != nil)
        let events = try history("task")
        let types = events.compactMap { $0["type"]?.stringValue }
        let failedAt = try #require(types.firstIndex(of: "ExecutionFailed"))
        #expect(types[failedAt + 1] == "ExecutionRedriven")
        #expect(events[failedAt + 1]["executionRedrivenEventDetails"] == ["redriveCount": 1])
        #expect(types[failedAt + 2] == "TaskStateEntered" && events[failedAt + 2]["stateEnteredEventDetails"]?["name"] == "Second")
        #expect(types.last == "ExecutionSucceeded")
        #expect(events.map { $0["id"]?.integerValue ?? 0 } == Array(1...Int64(events.count)))

        // Succeeded now: redriving it again is refused, as AWS refuses it.
        let again = try redrive("task")
        #expect(again.status == 2)
        #expect(again.stderr.contains("ExecutionNotRedrivable: Execution is SUCCEEDED and cannot be redriven"), "\(again.stderr)")
    }

    @Test func anInlineMapRunsOnlyItsFailedIterationAgain() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let definition = """
            {"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1, "End": true,
              "ItemProcessor": {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "\(Self.flaky)", "End": true}}}}}}
            """
        let file = directory.appendingPathComponent("inline.asl.json")
        try Data(definition.utf8).write(to: file)
        let failed = try StatesmanProcess.run([
            "run", file.path, "--functions", directory.appendingPathComponent("functions.yaml").path, "--state", state, "--name", "inline",
            "--input", #"{"items": [{"id": "a"}, {"id": "b", "fail": true}, {"id": "c"}, {"id": "d"}]}"#, "--json",
        ])
        #expect(failed.status == 1)
        #expect(try calls() == ["a": 1, "b": 1])
        fix()
        let redriven = try redrive("inline")
        #expect(redriven.status == 0, "\(redriven.stderr)")
        #expect(redriven.json?["output"] == [["id": "a", "redrives": nil], ["id": "b", "redrives": nil], ["id": "c", "redrives": nil], ["id": "d", "redrives": nil]])
        #expect(try calls() == ["a": 1, "b": 2, "c": 1, "d": 1])
        // After the redrive, iteration 0 (which had succeeded) has no events of its own.
        let events = try history("inline")
        let redrivenAt = try #require(events.firstIndex { $0["type"] == "ExecutionRedriven" })
        let rerun = events[redrivenAt...].filter { $0["type"] == "MapIterationStarted" }.compactMap { $0["mapIterationStartedEventDetails"]?["index"]?.integerValue }
        #expect(rerun.sorted() == [1, 2, 3])
    }

    @Test func aDistributedMapRunsOnlyItsFailedAndPendingItemsAgain() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let items = 120
        try Data((0..<items).map { "{\"id\":\"i\($0)\"\($0 % 40 == 17 ? ",\"fail\":true" : "")}\n" }.joined().utf8)
            .write(to: store.appendingPathComponent("data/items.jsonl"))
        let definition = """
            {"StartAt": "Each", "States": {"Each": {"Type": "Map", "MaxConcurrency": 4, "End": true,
              "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSONL"}, "Parameters": {"Bucket": "data", "Key": "items.jsonl"}},
              "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "Call",
                "States": {"Call": {"Type": "Task", "Resource": "\(Self.flaky)", "End": true}}},
              "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "results", "Prefix": "redrive"},
                "WriterConfig": {"Transformation": "COMPACT"}}}}}
            """
        let failed = try run("distributed", definition)
        #expect(failed.status == 1)
        #expect(failed.json?["error"] == "States.ExceedToleratedFailureThreshold")
        let before = try calls()
        #expect(before.count < items, "the run stopped at its first failure")
        let executions = try SQLiteExecutionStore(path: state + "/statesman.db")
        let arn = "arn:aws:states:us-east-1:123456789012:execution:distributed:distributed"
        let mapRun = try #require(try executions.mapRuns(executionArn: arn).first)
        let succeededBefore = Set(
            try executions.completions(of: mapRun.arn, after: -1, limit: 1000).filter { $0.status == "SUCCEEDED" }.compactMap {
                try JSONValue(parsing: $0.results).arrayValue?.first?["id"]?.stringValue
            })
        #expect(!succeededBefore.isEmpty)

        fix()
        let redriven = try redrive("distributed")
        #expect(redriven.status == 0, "\(redriven.stderr)")
        #expect(redriven.json?["output"]?["MapRunArn"]?.stringValue == mapRun.arn, "the same Map Run is redriven")
        let after = try calls()
        for id in succeededBefore { #expect(after[id] == 1, "\(id) had succeeded and ran again") }
        #expect(after.count == items)
        #expect(after["i17"] == 2)

        // Every item's result exactly once; the run redriven once, with every item succeeded.
        let key = try #require(redriven.json?["output"]?["ResultWriterDetails"]?["Key"]?.stringValue)
        let manifest = try JSONValue(parsing: Data(contentsOf: store.appendingPathComponent("results").appendingPathComponent(key)))
        var seen: [String: Int] = [:]
        for file in manifest["ResultFiles"]?["SUCCEEDED"]?.arrayValue ?? [] {
            let records = try JSONValue(parsing: Data(contentsOf: store.appendingPathComponent("results").appendingPathComponent(file["Key"]?.stringValue ?? "")))
            for record in records.arrayValue ?? [] { seen[record["id"]?.stringValue ?? "?", default: 0] += 1 }
        }
        #expect(seen.count == items && seen.values.allSatisfy { $0 == 1 })
        #expect(manifest["ResultFiles"]?["FAILED"]?.arrayValue?.isEmpty ?? true)
        let run = try #require(try executions.mapRun(mapRun.arn))
        #expect(run.status == "SUCCEEDED")
        #expect(run.description["redriveCount"] == 1)
        #expect(run.description["itemCounts"]?["succeeded"] == .int(Int64(items)))
        #expect(run.description["itemCounts"]?["total"] == .int(Int64(items)))
        let types = try history("distributed").compactMap { $0["type"]?.stringValue }
        #expect(types.filter { $0 == "MapRunStarted" }.count == 1 && types.filter { $0 == "MapRunRedriven" }.count == 1)
    }
}
