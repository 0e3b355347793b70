import Foundation
import JSONCore
import Testing
import TestSupport

/// `.waitForTaskToken`: the function gets `$$.Task.Token` and returns at once; the task waits
/// until `statesman tasks send-success|send-failure` (another process) answers the token.
@Suite struct CallbackTaskTests {
    let directory: URL
    let state: String

    init() throws {
        directory = TestFiles.path("callback")
        state = directory.appendingPathComponent("state").path
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // The function keeps the request (with the token) for the test, as an approval queue would.
        let script = directory.appendingPathComponent("submit.sh")
        try TestFiles.writeScript("#!/bin/sh\ncat > \"$(dirname \"$0\")/request.json\"\necho '{\"queued\": true}'\n", to: script)
        // The same, after six seconds of work.
        let slow = directory.appendingPathComponent("slow.sh")
        try TestFiles.writeScript("#!/bin/sh\nsleep 6\nexec \"$(dirname \"$0\")/submit.sh\"\n", to: slow)
        // A function that answers its own token before it returns (as one that sends it to a
        // fast consumer may see happen).
        let answering = directory.appendingPathComponent("answer.sh")
        try TestFiles.writeScript(
            """
            #!/bin/sh
            token=$(sed -n 's/.*"token": *"\\([^"]*\\)".*/\\1/p')
            "$STATESMAN" tasks send-success "$token" --output '{"answeredBy": "the function"}' --state "$STATE" >&2 || exit 1
            echo '{"queued": true}'

            """, to: answering)
        try Data(
            """
            functions:
              submit: {runtime: shell, handler: submit.sh, directory: ., timeout: 30}
              slow-submit: {runtime: shell, handler: slow.sh, directory: ., timeout: 30}
              self-answer:
                runtime: shell
                handler: answer.sh
                directory: .
                timeout: 30
                environment: {STATESMAN: "\(StatesmanProcess.executable.path)", STATE: "\(state)"}

            """.utf8
        ).write(to: directory.appendingPathComponent("functions.yaml"))
    }

    func start(_ name: String, catching: Bool = false, heartbeat: Int = 60, function: String = "submit") throws -> ChildProcess {
        let machine = directory.appendingPathComponent("\(name).asl.json")
        let catcher = catching ? #", "Catch": [{"ErrorEquals": ["Rejected"], "ResultPath": "$.rejection", "Next": "Declined"}]"# : ""
        let declined = catching ? #", "Declined": {"Type": "Pass", "End": true}"# : ""
        try Data(
            """
            {"StartAt": "Ask", "States": {
              "Ask": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "HeartbeatSeconds": \(heartbeat),
                "Parameters": {"FunctionName": "\(function)", "Payload": {"token.$": "$$.Task.Token", "order.$": "$.order"}}, "End": true\(catcher)}\(declined)}}
            """.utf8
        ).write(to: machine)
        return try ChildProcess(
            StatesmanProcess.executable.path,
            [
                "run", machine.path, "--functions", directory.appendingPathComponent("functions.yaml").path, "--state", state, "--name", name,
                "--input", #"{"order": 7}"#, "--json",
            ])
    }

    /// The token the function was given, once it has been. A run that ends before that fails
    /// the test with what it said.
    func token(of running: ChildProcess) throws -> String {
        let file = directory.appendingPathComponent("request.json")
        let patience = Date().addingTimeInterval(60)
        while Date() < patience {
            if let data = try? Data(contentsOf: file), let request = try? JSONValue(parsing: data) {
                #expect(request["order"] == 7)
                return try #require(request["token"]?.stringValue)
            }
            if !running.isRunning {
                let finished = running.wait()
                let said = String(decoding: finished.stderr, as: UTF8.self) + String(decoding: finished.stdout, as: UTF8.self)
                Issue.record("statesman run ended with status \(finished.status) before its function had the token: \(said)")
                throw POSIXError(.ECHILD)
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        Issue.record("statesman run did not give its function the token within 60 seconds")
        throw POSIXError(.ETIMEDOUT)
    }

    func tasks(_ arguments: [String]) throws -> StatesmanProcess.Result {
        try StatesmanProcess.run(["tasks"] + arguments + ["--state", state])
    }

    @Test func sendTaskSuccessGivesTheTaskItsOutput() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let running = try start("approve")
        let token = try token(of: running)
        #expect(token.count >= 64)
        let heartbeat = try tasks(["send-heartbeat", token])
        #expect(heartbeat.status == 0, "\(heartbeat.stderr)")
        let success = try tasks(["send-success", token, "--output", #"{"approved": true}"#])
        #expect(success.status == 0, "\(success.stderr)")
        let finished = running.wait()
        #expect(finished.status == 0, "\(String(decoding: finished.stderr, as: UTF8.self))")
        #expect(try JSONValue(parsing: finished.stdout)["output"] == ["approved": true])
        // The token is spent: a second answer is refused, as is a token nobody gave out.
        let late = try tasks(["send-success", token, "--output", "{}"])
        #expect(late.status == 2 && late.stderr.contains("TaskTimedOut"))
        let unknown = try tasks(["send-failure", "not-a-token"])
        #expect(unknown.status == 2 && unknown.stderr.contains("TaskDoesNotExist"))
        let types = try StatesmanProcess.run(["executions", "history", "approve", "--state", state, "--json"]).json?["events"]?.arrayValue?.compactMap {
            $0["type"]?.stringValue
        }
        #expect(types == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"])
    }

    @Test func sendTaskFailureIsCaughtByItsErrorName() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let running = try start("decline", catching: true)
        #expect(try tasks(["send-failure", try token(of: running), "--error", "Rejected", "--cause", "over budget"]).status == 0)
        let finished = running.wait()
        #expect(finished.status == 0)
        #expect(try JSONValue(parsing: finished.stdout)["output"] == ["order": 7, "rejection": ["Error": "Rejected", "Cause": "over budget"]])
    }

    /// As on AWS, the heartbeat window opens once the function has answered.
    @Test func heartbeatsCountFromTheFunctionsAnswer() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        // Six seconds of work against a five-second heartbeat: counted from the start, it would
        // time out; counted from the answer, the test has five seconds to answer the token.
        let running = try start("slow", heartbeat: 5, function: "slow-submit")
        #expect(try tasks(["send-success", try token(of: running), "--output", #"{"late": false}"#]).status == 0)
        let finished = running.wait()
        #expect(finished.status == 0, "\(String(decoding: finished.stdout, as: UTF8.self))")
    }

    /// As on AWS, the token is valid from the moment the function has it: an answer sent
    /// before the function itself returns is the task's output.
    @Test func answerBeforeTheFunctionReturnsIsKept() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let finished = try start("self-answered", function: "self-answer").wait()
        #expect(finished.status == 0, "\(String(decoding: finished.stdout, as: UTF8.self)) \(String(decoding: finished.stderr, as: UTF8.self))")
        #expect(try JSONValue(parsing: finished.stdout)["output"] == ["answeredBy": "the function"])
    }

    @Test func noHeartbeatInTimeIsAHeartbeatTimeout() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let running = try start("silent", heartbeat: 1)
        let token = try token(of: running)
        let finished = running.wait()
        #expect(finished.status == 1)
        #expect(try JSONValue(parsing: finished.stdout)["error"] == "States.Timeout")
        #expect(try tasks(["send-success", token, "--output", "{}"]).stderr.contains("TaskTimedOut"))
    }
}
