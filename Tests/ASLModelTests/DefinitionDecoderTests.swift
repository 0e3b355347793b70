import ASLModel
import JSONCore
import Testing

func diagnostics(_ text: String, type: StateMachineType = .standard) -> [String] {
    DefinitionDecoder.decode(text: text, type: type).diagnostics.map(\.description)
}

@Suite struct DefinitionDecoderTests {
    @Test func decodesTheModel() throws {
        let text = """
            {"Comment": "c", "StartAt": "Get", "TimeoutSeconds": 60, "States": {
              "Get": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:get", "TimeoutSeconds": 5,
                      "HeartbeatSecondsPath": "$.hb", "ResultPath": "$.r", "InputPath": null,
                      "Retry": [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 2, "BackoffRate": 1.5}],
                      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed", "ResultPath": "$.error"}], "Next": "Route"},
              "Route": {"Type": "Choice", "Choices": [
                  {"And": [{"Variable": "$.r.n", "NumericGreaterThan": 3}, {"Not": {"Variable": "$.r.s", "StringMatches": "a*"}}], "Next": "Each"}],
                "Default": "Done"},
              "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
                       "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "Next": "Done"},
              "Done": {"Type": "Succeed"},
              "Failed": {"Type": "Fail", "ErrorPath": "$.error.Error", "Cause": "boom"}}}
            """
        let (definition, problems) = DefinitionDecoder.decode(text: text)
        #expect(problems.isEmpty, "\(problems)")
        let machine = try #require(definition)
        #expect(machine.stateNames == ["Get", "Route", "Each", "Done", "Failed"])
        #expect(machine.timeoutSeconds == 60)
        let get = try #require(machine.states["Get"])
        #expect(get.transition == .next("Route"))
        #expect(get.retry.first?.maxAttempts == 2 && get.retry.first?.backoffRate == 1.5 && get.retry.first?.intervalSeconds == 1)
        #expect(get.catchers.first?.next == "Failed")
        if case .empty = get.inputPath {} else { Issue.record("InputPath null is the empty object") }
        guard case .task(let task) = get.kind, case .value(5)? = task.timeoutSeconds, case .path(let hb)? = task.heartbeatSeconds else {
            Issue.record("task fields")
            return
        }
        #expect(hb.text == "$.hb")
        #expect(task.callsLambdaFunction)
        guard case .choice(let choice) = machine.states["Route"]?.kind else { Issue.record("choice"); return }
        #expect(choice.defaultState == "Done")
        #expect(choice.choices.first?.next == "Each")
        guard case .map(let map) = machine.states["Each"]?.kind else { Issue.record("map"); return }
        #expect(map.processor.startAt == "P")
        #expect(!map.isDistributed)
    }

    @Test(arguments: [
        ("arn:aws:lambda:us-east-1:111111111111:function:get", true, false),
        ("arn:aws-cn:lambda:cn-north-1:111111111111:function:get:live", true, false),
        ("arn:aws:states:::lambda:invoke", false, false),
        ("arn:aws:states:::lambda:invoke.waitForTaskToken", false, true),
        ("arn:aws:states:::sqs:sendMessage.waitForTaskToken", false, true),
        ("arn:aws:states:::sqs:sendMessage.waitForTaskTokens", false, false),
        ("arn:aws:states:::aws-sdk:lambda:invoke", false, false),
        ("arn:aws:lambdas:us-east-1:111111111111:function:get", false, false),
        ("arn:aws:lambda", false, false),
        ("arn:aws:", false, false),
        ("arn:aws:s3:::bucket", false, false),
        ("lambda", false, false),
        ("", false, false),
    ])
    func whatAResourceIsIsKnownOnce(resource: String, callsLambda: Bool, waitsForToken: Bool) {
        let task = TaskState(resource: resource)
        #expect(task.callsLambdaFunction == callsLambda)
        #expect(task.waitsForTaskToken == waitsForToken)
    }

    @Test func collectsEveryProblemWithItsPointer() {
        let problems = diagnostics("""
            {"StartAt": "A", "States": {
              "A": {"Type": "Pass", "Next": "Nowhere", "Bogus": 1, "ResultPath": "$.a[*]"},
              "B": {"Type": "Task", "Resource": "arn:aws:lambda:r:1:function:f", "TimeoutSeconds": 5, "TimeoutSecondsPath": "$.t", "End": true,
                    "Retry": [{"ErrorEquals": ["States.ALL"], "BackoffRate": 0.5}, {"ErrorEquals": []}]},
              "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "StringEquals": 1}]}}}
            """)
        #expect(problems == [
            "/States/A/Bogus: The field 'Bogus' is not supported in a Pass state",
            "/States/A/ResultPath: The value for the field 'ResultPath' must be a valid Reference Path: '$.a[*]' does not select a single node ('[*]' is not allowed in a Reference Path)",
            "/States/B/Retry/0/ErrorEquals: A retrier with States.ALL must be the last one",
            "/States/B/Retry/0/BackoffRate: The field 'BackoffRate' must be at least 1.0 (allowed minimum is 1), but is 0.5",
            "/States/B/Retry/1/ErrorEquals: The field 'ErrorEquals' must be a non-empty array of error names",
            "/States/B: A state may have only one of [TimeoutSeconds, TimeoutSecondsPath], but has TimeoutSeconds and TimeoutSecondsPath",
            "/States/C/Choices/0: A top-level choice rule must have 'Next'",
            "/States/C/Choices/0/StringEquals: The field 'StringEquals' must be a string",
            "/States/A/Next: Missing 'Next' target: Nowhere",
            "/States/B: State \"B\" is not reachable",
            "/States/C: State \"C\" is not reachable",
        ])
    }

    @Test func awsRecordedRejections() {
        // Recorded on AWS (conformance/validation/invalid/localstack_aws__*).
        #expect(diagnostics(#"{"StartAt": "W", "States": {"W": {"Type": "Wait", "Timestamp": "2016-12-05 21:29:29Z", "End": true}}}"#)
            == ["/States/W/Timestamp: String does not match RFC3339 timestamp"])
        #expect(diagnostics(#"{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Credentials": {}, "End": true}}}"#)
            == ["/States/T/Credentials: The field 'RoleArn' is required but was missing"])
        #expect(diagnostics(#"{"Comment": "no states"}"#) == ["/: These fields are required: [States, StartAt]"])
        let sync = #"{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync", "End": true}}}"#
        #expect(diagnostics(sync).isEmpty)
        #expect(diagnostics(sync, type: .express) == ["/States/T/Resource: Express state machine does not support '.sync' service integration"])
    }

    @Test func duplicateKeysAndNamesAreRejected() {
        #expect(diagnostics(#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "Type": "Pass"}}}"#)
            == ["/States/A: Duplicate field 'Type'"])
        let nested = #"{"StartAt": "P", "States": {"P": {"Type": "Parallel", "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}], "Next": "X"}, "X": {"Type": "Succeed"}}}"#
        #expect(diagnostics(nested) == ["/States/X: State name \"X\" is already used at /States/P/Branches/0/States/X; state names must be unique in the whole state machine"])
    }

    @Test func notJSONIsOneClearProblem() {
        #expect(diagnostics("{\"StartAt\": ") == ["/: The definition is not valid JSON: 1:13: unexpected end of text, expected a value"])
    }

    @Test(arguments: ["2016-03-14T01:59:00Z", "2016-03-14T01:59:00.123Z", "2016-03-14T01:59:00+01:00"])
    func acceptsRFC3339(timestamp: String) {
        #expect(diagnostics(#"{"StartAt": "W", "States": {"W": {"Type": "Wait", "Timestamp": "\#(timestamp)", "End": true}}}"#).isEmpty)
    }
}

@Suite struct YAMLDefinitionTests {
    @Test func readsYAMLKeepingOrderAndTypes() throws {
        let yaml = """
            Comment: from YAML
            StartAt: First
            States:
              First:
                Type: Pass
                Result: {count: 3, ratio: 0.5, on: true, none: null, text: "007"}
                Next: Second
              Second:
                Type: Succeed
            """
        let (definition, problems) = DefinitionDecoder.decode(text: yaml)
        #expect(problems.isEmpty, "\(problems)")
        let machine = try #require(definition)
        #expect(machine.stateNames == ["First", "Second"])
        guard case .pass(let result?) = machine.states["First"]?.kind else {
            Issue.record("no Result")
            return
        }
        #expect(result.compactString == #"{"count":3,"ratio":0.5,"on":true,"none":null,"text":"007"}"#)
    }

    @Test func badYAMLIsOneClearProblem() {
        let problems = DefinitionDecoder.decode(text: "StartAt: [unclosed").diagnostics
        #expect(problems.count == 1)
        #expect(problems.first?.message.hasPrefix("The definition is neither valid JSON nor valid YAML") == true)
    }
}

@Suite struct DefinitionLimitTests {
    @Test func definitionsOverOneMebibyteAreRejected() {
        let padding = String(repeating: "x", count: 1_048_576)
        let text = #"{"Comment": "\#(padding)", "StartAt": "S", "States": {"S": {"Type": "Succeed"}}}"#
        let problems = DefinitionDecoder.decode(text: text).diagnostics.map(\.description)
        #expect(problems == ["/: The definition is \(text.utf8.count) bytes, more than AWS's limit of 1048576 bytes (1 MiB)"])
    }
}
