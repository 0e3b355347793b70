import ExecutionStore
import Foundation
import JSONCore
import Synchronization
import Testing
import TestSupport

/// One suite, both stores: what the SQLite file keeps and what memory keeps must not differ.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case sqlite, memory

    var testDescription: String { rawValue }

    func make() throws -> any ExecutionStore {
        switch self {
        case .memory: return InMemoryExecutionStore()
        case .sqlite:
            let directory = TestFiles.path("store")
            return try SQLiteExecutionStore(path: directory.appendingPathComponent("statesman.db").path)
        }
    }
}

let machineArn = "arn:aws:states:us-east-1:123456789012:stateMachine:orders"
let start = Date(timeIntervalSince1970: 1_800_000_000)

func execution(_ name: String, status: String = "RUNNING", at offset: Double = 0, machine: String = machineArn) -> ExecutionRecord {
    ExecutionRecord(
        arn: "arn:aws:states:us-east-1:123456789012:execution:orders:\(name)", stateMachineArn: machine, name: name, status: status,
        startDate: start.addingTimeInterval(offset), input: #"{"n":1}"#, version: 1, launch: #"{"store":"/srv/store"}"#)
}

func event(_ id: Int, _ type: String) -> JSONValue {
    ["id": .int(Int64(id)), "previousEventId": .int(Int64(id - 1)), "type": .string(type), "timestamp": "2027-01-15T08:00:00.000Z"]
}

@Suite struct ExecutionStoreTests {
    @Test(arguments: StoreKind.allCases) func definitionsGetVersionsOnlyWhenTheyChange(kind: StoreKind) throws {
        let store = try kind.make()
        let first = try store.registerStateMachine(arn: machineArn, name: "orders", type: "STANDARD", definition: "{\"A\":1}", at: start)
        let same = try store.registerStateMachine(arn: machineArn, name: "orders", type: "STANDARD", definition: "{\"A\":1}", at: start)
        let changed = try store.registerStateMachine(arn: machineArn, name: "orders", type: "STANDARD", definition: "{\"A\":2}", at: start)
        #expect(first.version == 1 && same.version == 1 && changed.version == 2)
        #expect(try store.versions(of: machineArn).map(\.definition) == ["{\"A\":1}", "{\"A\":2}"])
        #expect(try store.stateMachines().map(\.latestVersion) == [2])
    }

    @Test(arguments: StoreKind.allCases) func executionsAreKeptUpdatedAndFiltered(kind: StoreKind) throws {
        let store = try kind.make()
        try store.insert(execution("a", at: 0))
        try store.insert(execution("b", at: 10))
        try store.insert(execution("c", at: 20, machine: machineArn + "-other"))
        #expect(throws: ExecutionStoreError.self) { try store.insert(execution("a")) }
        var finished = execution("a", at: 0)
        finished.status = "SUCCEEDED"
        finished.stopDate = start.addingTimeInterval(5)
        finished.output = #"{"ok":true}"#
        try store.update(finished)
        #expect(try store.execution(finished.arn) == finished)
        #expect(try store.executions(stateMachineArn: machineArn, status: nil).map(\.name) == ["b", "a"])
        #expect(try store.executions(stateMachineArn: nil, status: "SUCCEEDED").map(\.name) == ["a"])
        #expect(try store.executions(stateMachineArn: nil, status: nil).count == 3)
        #expect(throws: ExecutionStoreError.self) { try store.update(execution("missing")) }
        #expect(try store.execution("nope") == nil)
    }

    @Test(arguments: StoreKind.allCases) func historyEventsFollowOnAndComeBackInOrder(kind: StoreKind) throws {
        let store = try kind.make()
        let run = execution("h")
        try store.insert(run)
        try store.append(events: [event(1, "ExecutionStarted"), event(2, "PassStateEntered")], to: run.arn)
        try store.append(events: [event(3, "PassStateExited")], to: run.arn)
        #expect(throws: ExecutionStoreError.self) { try store.append(events: [event(5, "Gap")], to: run.arn) }
        #expect(throws: ExecutionStoreError.self) { try store.append(events: [event(1, "Again")], to: run.arn) }
        #expect(throws: ExecutionStoreError.self) { try store.append(events: [event(1, "Orphan")], to: run.arn + "x") }
        #expect(try store.history(of: run.arn).map { $0["type"] } == ["ExecutionStarted", "PassStateEntered", "PassStateExited"])
    }

    @Test(arguments: StoreKind.allCases) func mapRunsAreReplacedWithTheirCounts(kind: StoreKind) throws {
        let store = try kind.make()
        let arn = "arn:aws:states:us-east-1:123456789012:mapRun:orders/Map:1"
        let running = MapRunRecord(arn: arn, executionArn: "e1", status: "RUNNING", startDate: start, stopDate: nil, description: ["itemCounts": ["total": 5]])
        try store.save(mapRun: running)
        var done = running
        done.status = "SUCCEEDED"
        done.stopDate = start.addingTimeInterval(3)
        done.description = ["itemCounts": ["total": 10, "succeeded": 10]]
        try store.save(mapRun: done)
        #expect(try store.mapRun(arn) == done)
        #expect(try store.mapRuns(executionArn: "e1") == [done])
        #expect(try store.mapRuns(executionArn: "e2").isEmpty)
    }

    @Test func aSQLiteFileKeepsEverythingAcrossOpens() throws {
        let path = TestFiles.path("reopen").appendingPathComponent("statesman.db").path
        do {
            let store = try SQLiteExecutionStore(path: path)
            _ = try store.registerStateMachine(arn: machineArn, name: "orders", type: "STANDARD", definition: "{}", at: start)
            try store.insert(execution("kept"))
            try store.append(events: [event(1, "ExecutionStarted")], to: execution("kept").arn)
        }
        let reopened = try SQLiteExecutionStore(path: path)
        #expect(try reopened.execution(execution("kept").arn)?.name == "kept")
        #expect(try reopened.history(of: execution("kept").arn).count == 1)
        #expect(try reopened.stateMachines().map(\.name) == ["orders"])
    }

    /// Two `statesman run`s starting at once on a new --state directory both open the store:
    /// its migrations run once, not twice ("duplicate column").
    @Test func storesOpenedAtOnceMigrateOnce() throws {
        let path = TestFiles.path("race").appendingPathComponent("statesman.db").path
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            do {
                _ = try SQLiteExecutionStore(path: path)
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        let store = try SQLiteExecutionStore(path: path)
        #expect(try store.stateMachines().isEmpty)
    }

    @Test func aFileThatIsNotADatabaseIsAClearError() throws {
        let directory = TestFiles.path("broken")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("statesman.db").path
        try Data("this is not sqlite, just some text that is long enough to look like a header".utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try SQLiteExecutionStore(path: path)
            Issue.record("a broken file was opened")
        } catch let error as ExecutionStoreError {
            #expect(error.message.contains(path))
        }
    }

    /// A state directory given where a file is (or under one) is named, not dumped as an NSError.
    @Test func aFileInTheWayOfTheDirectoryIsNamed() throws {
        let directory = try TestFiles.directory("in-the-way")
        let file = directory.appendingPathComponent("state")
        try Data("a file".utf8).write(to: file)
        for path in ["state/statesman.db", "state/deeper/statesman.db"] {
            #expect(throws: ExecutionStoreError("\(file.path) is a file, not a directory")) {
                _ = try SQLiteExecutionStore(path: directory.appendingPathComponent(path).path)
            }
        }
    }
}

@Suite struct StopRequestTests {
    @Test(arguments: StoreKind.allCases) func onlyARunningExecutionCanBeAskedToStop(kind: StoreKind) throws {
        let store = try kind.make()
        let running = execution("running")
        try store.insert(running)
        #expect(try store.stopRequest(for: running.arn) == nil)
        try store.requestStop(of: running.arn, error: "Operator", cause: "maintenance", at: start)
        #expect(try store.stopRequest(for: running.arn) == StopRequest(error: "Operator", cause: "maintenance", requested: start))
        var done = execution("done")
        try store.insert(done)
        done.status = "SUCCEEDED"
        try store.update(done)
        #expect(throws: ExecutionStoreError.self) { try store.requestStop(of: done.arn, error: nil, cause: nil, at: start) }
        #expect(throws: ExecutionStoreError.self) { try store.requestStop(of: "missing", error: nil, cause: nil, at: start) }
    }
}

@Suite struct ChildExecutionTests {
    let mapRun = MapRunRecord(
        arn: "run-1", executionArn: execution("parent").arn, status: "RUNNING", startDate: start, stopDate: nil, description: ["itemCounts": ["total": 2]],
        stateEnteredEventId: 4)

    @Test(arguments: StoreKind.allCases) func childrenAreListedByTheirMapRunOnly(kind: StoreKind) throws {
        let store = try kind.make()
        try store.insert(execution("parent"))
        var first = execution("child-1", status: "SUCCEEDED", at: 1, machine: machineArn + "/Map")
        first.mapRunArn = "run-1"
        var second = execution("child-2", status: "FAILED", at: 2, machine: machineArn + "/Map")
        second.mapRunArn = "run-1"
        second.error = ""
        second.cause = "The function's cause"
        second.launch = nil
        second.stopDate = start.addingTimeInterval(3)
        try store.commit(
            mapRun: mapRun, completions: [],
            children: [
                (first, JSONValue.array([event(1, "ExecutionStarted"), event(2, "ExecutionSucceeded")]).compactString),
                (second, JSONValue.array([event(1, "ExecutionStarted")]).compactString),
            ])
        #expect(try store.children(of: "run-1").map(\.name) == ["child-2", "child-1"])
        #expect(try store.executions(stateMachineArn: nil, status: nil).map(\.name) == ["parent"])
        #expect(try store.history(of: first.arn).map { $0["type"] } == ["ExecutionStarted", "ExecutionSucceeded"])
        #expect(try store.execution(second.arn)?.mapRunArn == "run-1")
        // Kept as given: an empty error is not lost, nor taken for a missing one.
        #expect(try store.execution(second.arn) == second)

        // A child is stopped and redriven with its parent only.
        #expect(throws: ExecutionStoreError("The execution \(first.arn) is SUCCEEDED, not RUNNING")) {
            try store.requestStop(of: first.arn, error: nil, cause: nil, at: start)
        }
        #expect(throws: ServiceError("ExecutionNotRedrivable", "A Map Run's child execution is redriven with its parent")) {
            try store.redrive(second.arn, at: start)
        }
    }

    /// Children with the same Map Run committed in several batches, in many statements each.
    @Test(arguments: StoreKind.allCases) func manyChildrenAreKeptInOrder(kind: StoreKind) throws {
        let store = try kind.make()
        try store.insert(execution("parent"))
        let children = (0..<150).map { index in
            var child = execution(String(format: "child-%03d", index), status: "SUCCEEDED", at: Double(index), machine: machineArn + "/Map")
            child.mapRunArn = "run-1"
            child.launch = nil
            child.output = #"{"n":\#(index)}"#
            return (record: child, history: JSONValue.array([event(1, "ExecutionStarted"), event(2, "ExecutionSucceeded")]).compactString)
        }
        try store.commit(mapRun: mapRun, completions: [], children: Array(children[..<100]))
        try store.commit(mapRun: mapRun, completions: [], children: Array(children[100...]))
        #expect(try store.children(of: "run-1") == children.reversed().map(\.record))
        #expect(try store.history(of: children[77].record.arn).count == 2)
        #expect(try store.children(of: "run-2").isEmpty)
    }

    @Test(arguments: StoreKind.allCases) func completionsAreKeptOnceAndReadPageByPage(kind: StoreKind) throws {
        let store = try kind.make()
        try store.insert(execution("parent"))
        let completions = (0..<10).map { ChildCompletion(index: $0 * 2, itemCount: 3, status: $0 == 4 ? "FAILED" : "SUCCEEDED", results: "[\($0)]") }
        try store.commit(mapRun: mapRun, completions: Array(completions[..<6]), children: [])
        try store.commit(mapRun: mapRun, completions: Array(completions[6...]), children: [])
        #expect(try store.completions(of: "run-1", after: -1, limit: 4) == Array(completions[..<4]))
        #expect(try store.completions(of: "run-1", after: 6, limit: 100) == Array(completions[4...]))
        #expect(try store.completions(of: "run-2", after: -1, limit: 100).isEmpty)
        #expect(try store.mapRun(executionArn: execution("parent").arn, stateEnteredEventId: 4)?.arn == "run-1")
        #expect(try store.mapRun(executionArn: execution("parent").arn, stateEnteredEventId: 5) == nil)

        // A child recorded twice is refused, and nothing of that commit is kept.
        var counted = mapRun
        counted.description = ["itemCounts": ["total": 99]]
        let fresh = ChildCompletion(index: 1, itemCount: 1, status: "SUCCEEDED", results: "[]")
        #expect(throws: ExecutionStoreError.self) { try store.commit(mapRun: counted, completions: [fresh, completions[0]], children: []) }
        #expect(try store.completions(of: "run-1", after: -1, limit: 100).count == 10)
        #expect(try store.mapRun("run-1")?.description == mapRun.description)

        // A child that failed may be recorded again when a redrive ran it again.
        let again = ChildCompletion(index: 8, itemCount: 3, status: "SUCCEEDED", results: "[\"again\"]")
        try store.commit(mapRun: mapRun, completions: [again], children: [])
        #expect(try store.completions(of: "run-1", after: 7, limit: 1) == [again])
    }

    /// A commit of more children than one statement takes: all kept in order, and a child
    /// that already succeeded is named and refused, in any part of the commit.
    @Test(arguments: StoreKind.allCases) func aLargeCommitIsKeptWholeOrNotAtAll(kind: StoreKind) throws {
        let store = try kind.make()
        try store.insert(execution("parent"))
        let completions = (0..<300).map { ChildCompletion(index: $0, itemCount: 1, status: $0 % 7 == 3 ? "FAILED" : "SUCCEEDED", results: "[{\"n\":\($0)}]") }
        try store.commit(mapRun: mapRun, completions: completions, children: [])
        #expect(try store.completions(of: "run-1", after: -1, limit: 1000) == completions)
        #expect(try store.completions(of: "run-1", after: 250, limit: 1000) == Array(completions[251...]))

        // Child 200 succeeded: a commit that records it again, after 143 children that may be
        // recorded (43 that failed, 100 new: the first two statements' worth), keeps none of them.
        let retried = completions.filter { $0.status == "FAILED" }.map { ChildCompletion(index: $0.index, itemCount: 1, status: "SUCCEEDED", results: "[]") }
        let new = (300..<400).map { ChildCompletion(index: $0, itemCount: 1, status: "SUCCEEDED", results: "[]") }
        let refused = retried + new + [completions[200]]
        do {
            try store.commit(mapRun: mapRun, completions: refused, children: [])
            Issue.record("a child that already succeeded was recorded again")
        } catch let error as ExecutionStoreError {
            #expect(error.message == "Child 200 of run-1 already succeeded")
        }
        #expect(try store.completions(of: "run-1", after: -1, limit: 1000) == completions)

        try store.commit(mapRun: mapRun, completions: retried + new, children: [])
        let all = try store.completions(of: "run-1", after: -1, limit: 1000)
        #expect(all.count == 400 && all.allSatisfy { $0.status == "SUCCEEDED" })
    }

    @Test(arguments: StoreKind.allCases) func onlyAnExecutionThatDidNotSucceedIsRedriven(kind: StoreKind) throws {
        let store = try kind.make()
        var failed = execution("failed")
        try store.insert(failed)
        try store.append(events: [event(1, "ExecutionStarted"), event(2, "ExecutionFailed")], to: failed.arn)
        failed.status = "FAILED"
        failed.error = "Oops"
        try store.update(failed)
        let redriven = try store.redrive(failed.arn, at: start)
        #expect(redriven.status == "RUNNING" && redriven.redriveCount == 1 && redriven.redriveDate == start && redriven.error == nil)
        #expect(try store.execution(failed.arn) == redriven)
        let history = try store.history(of: failed.arn)
        #expect(history.last?["type"] == "ExecutionRedriven" && history.last?["id"] == 3)
        #expect(history.last?["executionRedrivenEventDetails"] == ["redriveCount": 1])

        var succeeded = execution("succeeded")
        succeeded.status = "SUCCEEDED"
        try store.insert(succeeded)
        #expect(throws: ServiceError("ExecutionNotRedrivable", "Execution is SUCCEEDED and cannot be redriven")) { try store.redrive(succeeded.arn, at: start) }
        #expect(throws: ServiceError("ExecutionNotRedrivable", "Execution is RUNNING and cannot be redriven")) { try store.redrive(failed.arn, at: start) }
    }
}

@Suite struct CheckpointTests {
    @Test(arguments: StoreKind.allCases) func eventsAndCheckpointCommitTogether(kind: StoreKind) throws {
        let store = try kind.make()
        let run = execution("durable")
        try store.insert(run)
        #expect(try store.checkpoint(of: run.arn) == nil)
        let first = Checkpoint(stateName: "A", input: "{}", variables: "{}", enteredEventId: 2, entered: start)
        try store.commit(events: [event(1, "ExecutionStarted"), event(2, "PassStateEntered")], checkpoint: first, of: run.arn)
        #expect(try store.checkpoint(of: run.arn) == first)
        let second = Checkpoint(stateName: "B", input: #"{"a":1}"#, variables: #"{"v":2}"#, enteredEventId: 4, entered: start.addingTimeInterval(1))
        // Events that do not follow on: neither they nor the checkpoint are kept.
        #expect(throws: ExecutionStoreError.self) { try store.commit(events: [event(4, "Gap")], checkpoint: second, of: run.arn) }
        #expect(try store.checkpoint(of: run.arn) == first)
        try store.commit(events: [event(3, "PassStateExited"), event(4, "WaitStateEntered")], checkpoint: second, of: run.arn)
        #expect(try store.checkpoint(of: run.arn) == second)

        var done = run
        done.status = "SUCCEEDED"
        done.output = "{}"
        #expect(throws: ExecutionStoreError.self) { try store.finish(done, events: [event(9, "ExecutionSucceeded")]) }
        #expect(try store.execution(run.arn)?.status == "RUNNING")
        try store.finish(done, events: [event(5, "WaitStateExited"), event(6, "ExecutionSucceeded")])
        #expect(try store.execution(run.arn)?.status == "SUCCEEDED")
        #expect(try store.history(of: run.arn).count == 6)
    }
}

@Suite struct TaskTokenTests {
    @Test(arguments: StoreKind.allCases) func aTokenIsAnsweredOnceWhileItIsWaitedOn(kind: StoreKind) throws {
        let store = try kind.make()
        try store.register(taskToken: "t1", executionArn: "e1", stateName: "Ask", at: start)
        #expect(try store.taskToken("t1")?.status == .waiting)
        try store.heartbeat(taskToken: "t1", at: start.addingTimeInterval(5))
        #expect(try store.taskToken("t1")?.heartbeat == start.addingTimeInterval(5))
        try store.complete(taskToken: "t1", output: #"{"ok":true}"#, error: nil, cause: nil, at: start)
        #expect(try store.taskToken("t1") == TaskTokenRecord(
            token: "t1", executionArn: "e1", stateName: "Ask", status: .succeeded, output: #"{"ok":true}"#, heartbeat: start.addingTimeInterval(5)))
        #expect(throws: ServiceError("TaskTimedOut", "Task Timed Out")) { try store.complete(taskToken: "t1", output: "{}", error: nil, cause: nil, at: start) }
        #expect(throws: ServiceError("TaskDoesNotExist", "Task does not exist anymore")) { try store.heartbeat(taskToken: "t9", at: start) }

        try store.register(taskToken: "t2", executionArn: "e1", stateName: "Ask", at: start)
        try store.complete(taskToken: "t2", output: nil, error: "Rejected", cause: "no", at: start)
        #expect(try store.taskToken("t2")?.status == .failed && store.taskToken("t2")?.error == "Rejected")

        // A wait that ended (timeout, stop) refuses later answers.
        try store.register(taskToken: "t3", executionArn: "e1", stateName: "Ask", at: start)
        try store.close(taskToken: "t3")
        #expect(throws: ServiceError("TaskTimedOut", "Task Timed Out")) { try store.complete(taskToken: "t3", output: "{}", error: nil, cause: nil, at: start) }
    }
}
