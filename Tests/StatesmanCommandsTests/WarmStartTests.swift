import Foundation
import JSONCore
import Testing
import TestSupport

/// A function's `minWarm` workers start when `statesman run` begins, before any Task needs
/// them; a function without `minWarm` starts its first worker when a Task calls it.
@Suite struct WarmStartTests {
    @Test func minWarmWorkersStartWithTheRun() throws {
        let directory = TestFiles.path("warm-start")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Each handler's module leaves a file behind when a worker imports it.
        for name in ["kept", "lazy"] {
            try Data(
                """
                import os
                open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "\(name).started"), "w").close()

                def handler(event, context):
                    return event

                """.utf8
            ).write(to: directory.appendingPathComponent("\(name).py"))
        }
        let registry = directory.appendingPathComponent("functions.yaml")
        try Data("functions:\n  kept:\n    handler: kept.handler\n    minWarm: 1\n  lazy:\n    handler: lazy.handler\n".utf8).write(to: registry)
        // No Task calls either function; the run lasts long enough for a worker to start (one
        // still starting when the run ends is stopped at once).
        let machine = directory.appendingPathComponent("wait.asl.json")
        try Data(#"{"StartAt": "Only", "States": {"Only": {"Type": "Wait", "Seconds": 2, "End": true}}}"#.utf8).write(to: machine)
        let run = try StatesmanProcess.run(["run", machine.path, "--functions", registry.path, "--json"])
        #expect(run.json?["status"] == "SUCCEEDED", "\(run.stdout)\n\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("kept.started").path), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("lazy.started").path))
    }
}
