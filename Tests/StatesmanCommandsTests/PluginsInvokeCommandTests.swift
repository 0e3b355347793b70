import Foundation
import JSONCore
import Testing

/// `statesman plugins invoke` as a function's author runs it: the example registry's Python
/// functions, run as real workers.
@Suite struct PluginsInvokeCommandTests {
    static let registry = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("plugins/examples/functions.yaml").path

    @Test func aFunctionsValueIsPrintedAsJSON() throws {
        let result = try StatesmanProcess.run([
            "plugins", "invoke", "word-count", "--functions", Self.registry, "--payload", #"{"text": "to be or not to be", "top": 1}"#,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.json == ["words": 6, "top": [["word": "to", "count": 2]]])
        // The handler's print() is the function's log, on standard error, with its request id.
        #expect(result.stderr.contains("counting 6 words for request "))
    }

    @Test func aNameIsResolvedAsATasksFunctionNameIs() throws {
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:echo:live"
        let result = try StatesmanProcess.run(["plugins", "invoke", arn, "--functions", Self.registry, "--payload", "@-"], stdin: #"{"a": [1, 2]}"#)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.json == ["a": [1, 2]])
    }

    /// A failure prints Lambda's error object (what `aws lambda invoke` writes) and names the
    /// ASL error a Task would see.
    @Test func aRaisedExceptionPrintsLambdasErrorObject() throws {
        let result = try StatesmanProcess.run(["plugins", "invoke", "word-count", "--functions", Self.registry, "--payload", #"{"text": " "}"#])
        #expect(result.status == 1)
        let error = try #require(result.json)
        #expect(error["errorType"] == "EmptyTextError")
        #expect(error["errorMessage"] == "the event has no text to count")
        #expect(error["requestId"]?.stringValue?.count == 36)
        #expect(error["stackTrace"]?.arrayValue?.first?.stringValue?.contains("word_count.py") == true)
        #expect(result.stderr.contains("error: EmptyTextError"))
    }

    @Test func anUnknownFunctionIsLambdasResourceNotFound() throws {
        let result = try StatesmanProcess.run(["plugins", "invoke", "no-such-function", "--functions", Self.registry])
        #expect(result.status == 1)
        #expect(result.json?["errorMessage"]?.stringValue?.hasPrefix(
            "Function not found: arn:aws:lambda:us-east-1:123456789012:function:no-such-function:$LATEST (Service: AWSLambda; Status Code: 404;") == true)
        #expect(result.stderr.contains("error: Lambda.ResourceNotFoundException"))
    }

    @Test func aPayloadThatIsNotJSONIsAUsageError() throws {
        let result = try StatesmanProcess.run(["plugins", "invoke", "echo", "--functions", Self.registry, "--payload", "{oops"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--payload:1:2: invalid JSON"))
        #expect(result.stdout.isEmpty)
    }
}
