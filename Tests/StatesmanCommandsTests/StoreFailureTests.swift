import ExecutionStore
import Foundation
import JSONCore
import Testing
import TestSupport

/// What the SQLite file refuses, and how it says so: nothing is changed and the message says
/// what to do.
@Suite struct StoreFileTests {
    func temporaryPath(_ name: String) throws -> String {
        let directory = TestFiles.path(name)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("statesman.db").path
    }

    /// Runs a Python script to its end (posix_spawn: see `ChildProcess`).
    @discardableResult
    func python(_ script: String, _ arguments: [String] = []) throws -> ChildProcess.Finished {
        try ChildProcess.run("/usr/bin/env", ["python3", "-c", script] + arguments)
    }

    @Test func anotherProgramsDatabaseIsRefusedAndLeftAlone() throws {
        let path = try temporaryPath("foreign")
        try python("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('CREATE TABLE customers (id INTEGER)'); c.commit()", [path])
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        do {
            _ = try SQLiteExecutionStore(path: path)
            Issue.record("another program's database was taken")
        } catch let error as ExecutionStoreError {
            #expect(error.message.contains("another program") && error.message.contains("customers"), "\(error)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func aStoreFromANewerStatesmanIsRefused() throws {
        let path = try temporaryPath("newer")
        _ = try SQLiteExecutionStore(path: path)
        let add = try python(
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(\"INSERT INTO grdb_migrations VALUES ('2099-01-01 from the future')\"); c.commit()", [path])
        #expect(add.status == 0)
        do {
            _ = try SQLiteExecutionStore(path: path)
            Issue.record("a newer store was opened")
        } catch let error as ExecutionStoreError {
            #expect(error.message.contains("newer Statesman") && error.message.contains("2099-01-01 from the future"), "\(error)")
        }
    }

    @Test func aStoreLockedByAnotherProcessIsAClearErrorAndLosesNothing() throws {
        let path = try temporaryPath("locked")
        let store = try SQLiteExecutionStore(path: path, busyTimeout: 0.2)
        try store.insert(record("kept"))
        // Another process holds the database locked until a file appears.
        let marker = path + ".locked", release = path + ".release"
        let holder = try ChildProcess(
            "/usr/bin/env",
            [
                "python3", "-c",
                """
                import os, sqlite3, sys, time
                c = sqlite3.connect(sys.argv[1], isolation_level=None)
                c.execute('BEGIN EXCLUSIVE')
                open(sys.argv[2], 'w').close()
                while not os.path.exists(sys.argv[3]): time.sleep(0.01)
                """,
                path, marker, release,
            ])
        for _ in 0..<500 where !FileManager.default.fileExists(atPath: marker) { Thread.sleep(forTimeInterval: 0.01) }
        #expect(FileManager.default.fileExists(atPath: marker))
        do {
            try store.insert(record("blocked"))
            Issue.record("a locked store was written")
        } catch let error as ExecutionStoreError {
            #expect(error.message.contains("locked by another process"), "\(error)")
        }
        _ = FileManager.default.createFile(atPath: release, contents: nil)
        #expect(holder.wait().status == 0)
        #expect(try store.execution(record("kept").arn)?.name == "kept")
        try store.insert(record("later"))
        #expect(try store.executions(stateMachineArn: nil, status: nil).count == 2)
    }
}

func record(_ name: String) -> ExecutionRecord {
    ExecutionRecord(
        arn: "arn:aws:states:us-east-1:123456789012:execution:orders:\(name)", stateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:orders",
        name: name, status: "RUNNING", startDate: Date(), input: "{}", version: 1)
}

/// A disk that fills up mid-run (simulated with a file size limit on the process, which SQLite
/// sees as a failed write rather than ENOSPC's "database or disk is full") stops the run with a clear message, keeps everything
/// committed, and `statesman resume` finishes the execution once there is room.
@Suite struct FullDiskTests {
    static let items = 20_000

    @Test func aFullDiskStopsTheRunAndResumeFinishesIt() throws {
        let directory = TestFiles.path("full")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("store"), state = directory.appendingPathComponent("state").path
        try FileManager.default.createDirectory(at: store.appendingPathComponent("data"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: store.appendingPathComponent("results"), withIntermediateDirectories: true)
        try Data((0..<Self.items).map { "{\"n\":\($0)}\n" }.joined().utf8).write(to: store.appendingPathComponent("data/items.jsonl"))
        let machine = directory.appendingPathComponent("fill.asl.json")
        try Data(
            #"""
            {"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": true,
              "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSONL"}, "Parameters": {"Bucket": "data", "Key": "items.jsonl"}},
              "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
              "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "results", "Prefix": "fill"}, "WriterConfig": {"Transformation": "COMPACT"}}}}}
            """#.utf8
        ).write(to: machine)

        // Files of at most 4 MB: the execution store's log fills up after a few thousand children.
        let limited = try ChildProcess.run(
            "/usr/bin/env",
            [
                "python3", "-c",
                "import os, resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); resource.setrlimit(resource.RLIMIT_FSIZE, (4 << 20, 4 << 20)); os.execv(sys.argv[1], sys.argv[1:])",
                StatesmanProcess.executable.path, "run", machine.path, "--store", store.path, "--state", state, "--name", "fill",
            ])
        let message = String(decoding: limited.stderr, as: UTF8.self)
        #expect(limited.status == 1)
        #expect(message.contains("nothing committed before was lost") && message.contains("statesman resume arn:aws:states:us-east-1:123456789012:execution:fill:fill"), "\(message)")

        // What was committed is all there, and consistent.
        let executions = try SQLiteExecutionStore(path: state + "/statesman.db")
        let arn = "arn:aws:states:us-east-1:123456789012:execution:fill:fill"
        #expect(try executions.execution(arn)?.status == "RUNNING")
        let history = try executions.history(of: arn)
        #expect(!history.isEmpty)
        #expect(history.map { $0["id"]?.integerValue ?? 0 } == Array(1...Int64(history.count)))
        let committed = try executions.mapRuns(executionArn: arn).first?.description["itemCounts"]?["succeeded"]?.integerValue ?? 0
        #expect(committed < Int64(Self.items), "the disk filled up before the run ended")

        let resumed = try StatesmanProcess.run(["resume", "fill", "--state", state, "--json"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let key = try #require(resumed.json?["output"]?["ResultWriterDetails"]?["Key"]?.stringValue)
        let manifest = try JSONValue(parsing: Data(contentsOf: store.appendingPathComponent("results").appendingPathComponent(key)))
        var seen = [Int](repeating: 0, count: Self.items)
        for file in manifest["ResultFiles"]?["SUCCEEDED"]?.arrayValue ?? [] {
            let contents = try JSONValue(parsing: Data(contentsOf: store.appendingPathComponent("results").appendingPathComponent(file["Key"]?.stringValue ?? "")))
            for value in contents.arrayValue ?? [] { seen[Int(value["n"]?.integerValue ?? 0)] += 1 }
        }
        #expect(seen.allSatisfy { $0 == 1 })
        #expect(try executions.children(of: try #require(try executions.mapRuns(executionArn: arn).first).arn).count == Self.items)
    }
}

/// One execution, one process: `resume` refuses an execution whose process still runs it, and
/// takes it over once that process is gone.
@Suite struct ExecutionLockTests {
    @Test func resumeWaitsForTheRunningProcessToBeGone() throws {
        let directory = TestFiles.path("lock")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let state = directory.appendingPathComponent("state").path
        let machine = directory.appendingPathComponent("nap.asl.json")
        try Data(#"{"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 3, "Next": "Done"}, "Done": {"Type": "Succeed"}}}"#.utf8).write(to: machine)
        let running = try ChildProcess(StatesmanProcess.executable.path, ["run", machine.path, "--state", state, "--name", "nap"])
        var recorded = false
        let patience = Date().addingTimeInterval(60)
        while !recorded, Date() < patience {
            recorded = try StatesmanProcess.run(["executions", "history", "nap", "--state", state]).stdout.contains("WaitStateEntered")
            if !recorded { Thread.sleep(forTimeInterval: 0.05) }
        }
        try #require(recorded)
        let refused = try StatesmanProcess.run(["resume", "nap", "--state", state])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("is being run by another process"), "\(refused.stderr)")

        kill(running.pid, SIGKILL)
        #expect(running.wait().status == 128 + SIGKILL)
        let resumed = try StatesmanProcess.run(["resume", "nap", "--state", state, "--json"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.json?["status"] == "SUCCEEDED")
        let types = try StatesmanProcess.run(["executions", "history", "nap", "--state", state, "--json"]).json?["events"]?.arrayValue?.compactMap {
            $0["type"]?.stringValue
        }
        #expect(types == ["ExecutionStarted", "WaitStateEntered", "WaitStateExited", "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"])
    }
}
