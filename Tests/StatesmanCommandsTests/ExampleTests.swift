import Foundation
import JSONCore
import Testing
import TestSupport

/// The examples run end to end on small data, through the built `statesman` and real plugin
/// processes, and give exactly their expected results.
@Suite struct ExampleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs a Python script (an example's data generator) and requires it to succeed.
    static func python(_ arguments: [String]) throws {
        let finished = try ChildProcess.run("/usr/bin/env", ["python3"] + arguments)
        try #require(finished.status == 0, "python3 \(arguments.joined(separator: " ")): \(String(decoding: finished.stderr, as: UTF8.self))")
    }

    @Test func logAnalysisFindsWhatWasPlanted() throws {
        let example = Self.root.appendingPathComponent("examples/log-analysis")
        let store = TestFiles.path("logs")
        defer { try? FileManager.default.removeItem(at: store) }
        try Self.python([example.appendingPathComponent("generate.py").path, "--store", store.path, "--files", "12", "--lines", "400"])

        let definition = example.appendingPathComponent("log-analysis.asl.json").path
        #expect(try StatesmanProcess.run(["validate", definition]).status == 0)
        let run = try StatesmanProcess.run([
            "run", definition, "--functions", example.appendingPathComponent("functions.yaml").path, "--store", store.path,
            "--input", #"{"bucket": "logs", "prefix": "raw/"}"#, "--json",
        ])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let output = try #require(run.json?["output"])
        var summary = try #require(output["summary"]?.objectValue)
        let results = try #require(summary["results"]?.stringValue)
        summary["results"] = nil
        let expected = try JSONValue(parsing: Data(contentsOf: example.appendingPathComponent("expected-summary.json")))
        #expect(JSONValue.object(summary) == expected)

        // What the generator plants, counted independently of the golden file: a brute-force
        // run in every fifth file and a scanner in every fourth from the second.
        #expect(summary["byType"]?["brute-force"] == 3)
        #expect(summary["byType"]?["scanner"] == 3)
        #expect(output["alert"]?.stringValue?.hasPrefix("ALERT: \(summary["findings"]?.integerValue ?? -1) findings in 4977 events") == true)

        // The report and the results are in the store where the output says.
        let report = try JSONValue(parsing: Data(contentsOf: store.appendingPathComponent("logs/reports/security-report.json")))
        #expect(report["findings"] == summary["findings"])
        #expect(report["ranked"]?.arrayValue?.count == summary["findings"]?.integerValue.map(Int.init))
        let manifest = try JSONValue(parsing: Data(contentsOf: store.appendingPathComponent(String(results.dropFirst("s3://".count))).appendingPathComponent("manifest.json")))
        #expect(manifest["ResultFiles"]?["FAILED"] == [])
        #expect(manifest["ResultFiles"]?["SUCCEEDED"]?.arrayValue?.count == 1)
    }
}
