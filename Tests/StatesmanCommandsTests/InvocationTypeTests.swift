import Foundation
import JSONCore
import Testing
import TestSupport

/// `lambda:invoke` with `InvocationType`: `Event` answers 202 at once and runs the function
/// meanwhile (the run waits for it before it ends); `DryRun` answers 204 and runs nothing;
/// anything else is refused.
@Suite struct InvocationTypeTests {
    @Test func eventRunsTheFunctionWithoutWaitingAndDryRunDoesNot() throws {
        let directory = TestFiles.path("invocation")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = directory.appendingPathComponent("note.sh")
        // It takes a second, longer than the rest of the workflow.
        try TestFiles.writeScript("#!/bin/sh\nevent=$(cat)\nsleep 1\necho \"$event\" >> \"$(dirname \"$0\")/calls.log\"\necho '{\"noted\": true}'\n", to: script)
        // A timeout well past its second: a loaded machine must not end it (with its script).
        try Data("functions:\n  note:\n    runtime: shell\n    handler: note.sh\n    directory: .\n    timeout: 30\n".utf8).write(to: directory.appendingPathComponent("functions.yaml"))
        let machine = directory.appendingPathComponent("types.asl.json")
        try Data(
            #"""
            {"StartAt": "Fire", "States": {
              "Fire": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "note", "InvocationType": "Event", "Payload": {"kind": "event"}}, "ResultPath": "$.event", "Next": "Check"},
              "Check": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "note", "InvocationType": "DryRun", "Payload": {"kind": "dry"}}, "ResultPath": "$.dry", "Next": "Bad"},
              "Bad": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "note", "InvocationType": "Later"}, "End": true}}}
            """#.utf8
        ).write(to: machine)
        let run = try StatesmanProcess.run(["run", machine.path, "--functions", directory.appendingPathComponent("functions.yaml").path, "--history"])
        let outcome = try #require(run.json, "\(run.stdout)\n\(run.stderr)")
        #expect(outcome["error"] == "Lambda.InvalidParameterValueException")
        let events = try #require(outcome["events"]?.arrayValue)
        let exited = events.filter { $0["type"] == "TaskStateExited" }.compactMap { $0["stateExitedEventDetails"]?["output"]?.stringValue }
        let last = try JSONValue(parsing: try #require(exited.last))
        #expect(last["event"]?["StatusCode"] == 202 && last["event"]?["Payload"] == "" && last["event"]?["ExecutedVersion"] == nil)
        #expect(last["event"]?["SdkHttpMetadata"]?["HttpStatusCode"] == 202)
        #expect(last["dry"]?["StatusCode"] == 204 && last["dry"]?["Payload"] == "")
        // The Event call ran (the run waited for it to end), the DryRun call did not.
        #expect(run.stderr.contains("statesman: waiting for 1 asynchronous Lambda invocation (InvocationType Event) to end"), "\(run.stderr)")
        let log = try? String(contentsOf: directory.appendingPathComponent("calls.log"), encoding: .utf8)
        let calls = try #require(log, "the Event call left no calls.log; the run said: \(run.stderr)").split(separator: "\n")
        #expect(calls.map { try? JSONValue(parsing: String($0)) } == [["kind": "event"]])
    }
}

/// `lambda:invoke`'s `ClientContext` reaches an unmodified Python handler as Lambda's
/// `context.client_context`; a value that is not Base64 JSON is refused as Lambda refuses it.
@Suite struct ClientContextTests {
    @Test func handlersSeeTheClientContext() throws {
        let directory = TestFiles.path("client-context")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(
            """
            def handler(event, context):
                cc = context.client_context
                if cc is None:
                    return {"none": True}
                return {"custom": cc.custom, "env": cc.env, "app": cc.client.app_title if cc.client else None}
            """.utf8
        ).write(to: directory.appendingPathComponent("whoami.py"))
        try Data("functions:\n  whoami:\n    runtime: python\n    handler: whoami.handler\n    directory: .\n".utf8)
            .write(to: directory.appendingPathComponent("functions.yaml"))
        let context = Data(#"{"client": {"app_title": "Inventory"}, "custom": {"tenant": "acme"}, "env": {"locale": "en"}}"#.utf8).base64EncodedString()
        let machine = directory.appendingPathComponent("context.asl.json")
        try Data(
            """
            {"StartAt": "With", "States": {
              "With": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "whoami", "ClientContext": "\(context)", "Payload": {}}, "ResultSelector": {"p.$": "$.Payload"}, "ResultPath": "$.with", "Next": "Without"},
              "Without": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "whoami", "Payload": {}}, "ResultSelector": {"p.$": "$.Payload"}, "ResultPath": "$.without", "Next": "Bad"},
              "Bad": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "whoami", "ClientContext": "not base64 json"}, "Catch": [{"ErrorEquals": ["Lambda.InvalidParameterValueException"], "ResultPath": "$.bad", "Next": "Done"}], "End": true},
              "Done": {"Type": "Succeed"}}}
            """.utf8
        ).write(to: machine)
        let run = try StatesmanProcess.run(["run", machine.path, "--functions", directory.appendingPathComponent("functions.yaml").path, "--json"])
        let outcome = try #require(run.json, "\(run.stdout)\n\(run.stderr)")
        #expect(outcome["status"] == "SUCCEEDED", "\(run.stdout)\n\(run.stderr)")
        #expect(outcome["output"]?["with"]?["p"] == ["custom": ["tenant": "acme"], "env": ["locale": "en"], "app": "Inventory"])
        #expect(outcome["output"]?["without"]?["p"] == ["none": true])
        #expect(outcome["output"]?["bad"]?["Error"] == "Lambda.InvalidParameterValueException")
        #expect(outcome["output"]?["bad"]?["Cause"] == "Client context must be a valid Base64-encoded JSON object.")
    }
}
