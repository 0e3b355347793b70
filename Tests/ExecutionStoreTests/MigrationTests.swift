import Foundation
import GRDB
import JSONCore
import Testing

@testable import ExecutionStore
import TestSupport

/// Files written by earlier releases open with what they kept.
@Suite struct MigrationTests {
    /// Completions were keyed by their Map Run's ARN until 2026-11-27, by a number since.
    @Test func completionsKeyedByArnAreKeptWhenTheFileIsOpened() throws {
        let path = TestFiles.path("migrate").appendingPathComponent("statesman.db").path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do {
            let earlier = try DatabaseQueue(path: path)
            try SQLiteExecutionStore.migrator.migrate(earlier, upTo: "2026-11-26 checkpoints and map run completions")
            try earlier.write { db in
                for (arn, index, status) in [("run-b", 0, "SUCCEEDED"), ("run-a", 1, "FAILED"), ("run-a", 0, "SUCCEEDED")] {
                    try db.execute(
                        sql: "INSERT INTO map_run_child (map_run_arn, child_index, item_count, status, results) VALUES (?, ?, 1, ?, ?)",
                        arguments: [arn, index, status, "[\"\(arn) \(index)\"]"])
                }
            }
        }
        let store = try SQLiteExecutionStore(path: path)
        let first = ChildCompletion(index: 0, itemCount: 1, status: "SUCCEEDED", results: "[\"run-a 0\"]")
        let second = ChildCompletion(index: 1, itemCount: 1, status: "FAILED", results: "[\"run-a 1\"]")
        #expect(try store.completions(of: "run-a", after: -1, limit: 10) == [first, second])
        #expect(try store.completions(of: "run-b", after: -1, limit: 10) == [ChildCompletion(index: 0, itemCount: 1, status: "SUCCEEDED", results: "[\"run-b 0\"]")])

        // Recording goes on from what was kept: a failed child again, a succeeded one not.
        let run = MapRunRecord(arn: "run-a", executionArn: "parent", status: "RUNNING", startDate: Date(timeIntervalSince1970: 0), stopDate: nil, description: [:])
        let retried = ChildCompletion(index: 1, itemCount: 1, status: "SUCCEEDED", results: "[]")
        try store.commit(mapRun: run, completions: [retried], children: [])
        #expect(throws: ExecutionStoreError("Child 0 of run-a already succeeded")) { try store.commit(mapRun: run, completions: [first], children: []) }
        #expect(try store.completions(of: "run-a", after: -1, limit: 10) == [first, retried])
    }
}
