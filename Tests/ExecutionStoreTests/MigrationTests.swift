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

    /// Standard children were rows of `execution` (with their histories in `child_history`, or
    /// event by event in `history_event` before that) until 2026-11-27.
    @Test func childrenInTheExecutionTableMoveToTheirOwn() throws {
        let path = TestFiles.path("migrate-children").appendingPathComponent("statesman.db").path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let prefix = "arn:aws:states:us-east-1:123456789012:execution:"
        do {
            let earlier = try DatabaseQueue(path: path)
            try SQLiteExecutionStore.migrator.migrate(earlier, upTo: "2026-11-27 map run completions keyed by number")
            try earlier.write { db in
                let rows: [(name: String, mapRun: String?, start: Double)] = [
                    ("parent", nil, 0), ("one", "run-a", 1), ("two", "run-a", 2), ("three", "run-b", 3),
                ]
                for row in rows {
                    let machine = row.mapRun == nil ? "orders" : "orders/Map"
                    try db.execute(
                        sql: """
                            INSERT INTO execution (arn, state_machine_arn, name, status, start_date, stop_date, input, output, version, map_run_arn)
                            VALUES (?, ?, ?, 'SUCCEEDED', ?, ?, '{}', ?, 1, ?)
                            """,
                        arguments: [
                            prefix + machine + ":" + row.name, "arn:aws:states:us-east-1:123456789012:stateMachine:" + machine, row.name, row.start,
                            row.start + 0.5, "\"\(row.name)\"", row.mapRun,
                        ])
                }
                try db.execute(sql: "INSERT INTO map_run_number (arn) VALUES ('run-b')")
                try db.execute(sql: "INSERT INTO child_history (execution_arn, events) VALUES (?, '[{\"id\":1},{\"id\":2}]')", arguments: [prefix + "orders/Map:one"])
                try db.execute(sql: "INSERT INTO child_history (execution_arn, events) VALUES (?, '[{\"id\":1}]')", arguments: [prefix + "orders/Map:three"])
                // The oldest form: event by event.
                for id in [2, 1] {
                    try db.execute(
                        sql: "INSERT INTO history_event (execution_arn, id, event) VALUES (?, ?, ?)",
                        arguments: [prefix + "orders/Map:two", id, "{\"id\":\(id)}"])
                }
            }
        }
        let store = try SQLiteExecutionStore(path: path)
        #expect(try store.executions(stateMachineArn: nil, status: nil).map(\.name) == ["parent"])
        #expect(try store.children(of: "run-a").map(\.name) == ["two", "one"])
        #expect(try store.children(of: "run-b").map(\.name) == ["three"])
        let two = try #require(try store.execution(prefix + "orders/Map:two"))
        #expect(two.mapRunArn == "run-a" && two.output == "\"two\"" && two.stopDate == Date(timeIntervalSince1970: 2.5))
        #expect(two.stateMachineArn == "arn:aws:states:us-east-1:123456789012:stateMachine:orders/Map")
        #expect(try store.history(of: prefix + "orders/Map:one") == [["id": 1], ["id": 2]])
        #expect(try store.history(of: prefix + "orders/Map:two") == [["id": 1], ["id": 2]])
        #expect(try store.history(of: prefix + "orders/Map:three") == [["id": 1]])
        #expect(try store.history(of: prefix + "orders:parent").isEmpty)

        // Children keep coming under the Map Run's number.
        let run = MapRunRecord(arn: "run-b", executionArn: prefix + "orders:parent", status: "RUNNING", startDate: Date(timeIntervalSince1970: 0), stopDate: nil, description: [:])
        var four = two
        four.arn = prefix + "orders/Map:four"
        four.name = "four"
        four.mapRunArn = "run-b"
        four.startDate = Date(timeIntervalSince1970: 4)
        try store.commit(mapRun: run, completions: [], children: [(four, "[]")])
        #expect(try store.children(of: "run-b").map(\.name) == ["four", "three"])
    }
}
