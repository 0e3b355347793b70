import ASLModel
import Foundation
import Interpreter
import JSONCore
import ObjectStore
import Testing
import Workflow

@Suite struct S3TaskTests {
    @Test func putGetListAndACaughtMissingKey() async throws {
        let store = try temporaryStore()
        let definition: JSONValue = [
            "StartAt": "Put",
            "States": [
                "Put": [
                    "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject", "Parameters": ["Bucket": "data", "Key": "out/report.json", "Body.$": "$.report"],
                    "ResultPath": "$.put", "Next": "Get",
                ],
                "Get": [
                    "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject", "Parameters": ["Bucket": "data", "Key": "out/report.json"],
                    "ResultSelector": [
                        "body.$": "States.StringToJson($.Body)", "length.$": "$.ContentLength", "etag.$": "$.ETag", "modified.$": "$.LastModified",
                    ], "ResultPath": "$.get",
                    "Next": "List",
                ],
                "List": [
                    "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listObjectsV2", "Parameters": ["Bucket": "data", "Prefix": "out/"],
                    "ResultSelector": ["keys.$": "$.Contents[*].Key", "count.$": "$.KeyCount", "truncated.$": "$.IsTruncated"], "ResultPath": "$.list",
                    "Next": "Missing",
                ],
                "Missing": [
                    "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject", "Parameters": ["Bucket": "data", "Key": "nope"],
                    "Catch": [["ErrorEquals": ["S3.NoSuchKeyException"], "ResultPath": "$.missing", "Next": "Done"]], "Next": "Done",
                ],
                "Done": ["Type": "Succeed"],
            ],
        ]
        let machine = try validMachine(definition)
        let outcome = await Interpreter(invoker: S3TaskInvoker(store: store, next: NoTaskInvoker()), clock: ManualClock())
            .run(machine, input: ["report": ["total": 3]])
        #expect(outcome.status == .succeeded, "\(outcome.cause ?? "")")
        let output = try #require(outcome.output)
        #expect(output["put"]?["ETag"] == output["get"]?["etag"])
        #expect(output["get"]?["body"] == ["total": 3])
        #expect(output["get"]?["length"] == 11)
        #expect(output["list"] == ["keys": ["out/report.json"], "count": 1, "truncated": false])
        let modified = try #require(output["get"]?["modified"]?.stringValue)
        #expect(modified.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/) != nil, "\(modified)")
        let stamp = try #require(ISO8601DateFormatter().date(from: modified))
        #expect(abs(stamp.timeIntervalSinceNow) < 600)
        #expect(output["missing"]?["Error"] == "S3.NoSuchKeyException")
        #expect(output["missing"]?["Cause"]?.stringValue?.hasPrefix("The specified key does not exist. (Service: S3, Status Code: 404") == true)
        let scheduled = outcome.events.first { $0.type == "TaskScheduled" }?.json["taskScheduledEventDetails"]
        #expect(scheduled?["resourceType"] == "aws-sdk:s3")
        #expect(scheduled?["resource"] == "putObject")
    }
}
