import Foundation
import JSONCore
import PluginHost
import TestSupport
import Testing

/// The Python runner read directly, with invoke lines the host does not write: the runner
/// parses the context of the host's own layout only when the handler asks, and any other
/// layout must give the handler the same context.
@Suite struct PythonRunnerTests {
    /// The runner's answers to `lines` (after its hello), each as JSON, and what it logged.
    func answers(to lines: [String], handler: String, code: String = Fixtures.directory) throws -> (answers: [JSONValue], log: String) {
        let (answers, log) = try answerLines(to: lines, handler: handler, code: code)
        return (try answers.map { try JSONValue(parsing: $0) }, log)
    }

    /// The runner's answers as it wrote them.
    func answerLines(to lines: [String], handler: String, code: String = Fixtures.directory) throws -> (answers: [String], log: String) {
        let runner = [(Fixtures.paths.plugins ?? "") + "/python/statesman_runner.py", "--handler", handler, "--code", code]
        let (python, arguments) = Fixtures.paths.python.map { ($0, runner) } ?? ("/usr/bin/env", ["python3"] + runner)
        let finished = try ChildProcess.run(python, arguments, stdin: Data(lines.map { $0 + "\n" }.joined().utf8))
        let answers = String(decoding: finished.stdout, as: UTF8.self).split(separator: "\n").dropFirst().map(String.init)
        return (answers, String(decoding: finished.stderr, as: UTF8.self))
    }

    /// What else a handler may read of Lambda's context object is there, typed as Lambda has it.
    @Test func theRestOfTheContextIsLambdas() throws {
        let line = #"{"type":"invoke","id":"1","payload":{},"context":{"requestId":"r","functionName":"f","memoryLimitInMB":256}}"#
        let (answers, log) = try answers(to: [line], handler: "handlers.context_extras")
        #expect(
            answers.first?["payload"]
                == ["identity": [nil, nil], "tenant": nil, "w3c": [:], "client": nil, "memory": "256", "version": "$LATEST", "group": "/aws/lambda/f"],
            "\(log)")
        #expect(log.contains("logged through the context"))
    }

    /// The root logger writes to the function's log in Lambda's format, with the request id.
    @Test func loggingIsLambdas() throws {
        let line = #"{"type":"invoke","id":"1","payload":{},"context":{"requestId":"req-7"}}"#
        let (answers, log) = try answers(to: [line], handler: "handlers.logs")
        #expect(answers.first?["type"] == "result")
        let lines = log.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        #expect(lines.map { $0.count } == [4, 4], "\(log)")
        #expect(lines.map { $0.first } == ["[WARNING]", "[INFO]"])
        #expect(lines.map { $0.count == 4 ? $0[2] : "" } == ["req-7", "req-7"])
        #expect(lines.map(\.last) == ["before the level is set", "counted 3 words"])
        // 2026-11-27T15:59:07.198Z
        #expect(lines.allSatisfy { $0.count == 4 && $0[1].count == 24 && $0[1].hasSuffix("Z") && $0[1].dropFirst(10).hasPrefix("T") }, "\(log)")
    }

    /// As Lambda's runtime does, a Decimal (what boto3 gives for DynamoDB numbers) is written as
    /// the number it holds, digit for digit; a NaN or infinite one cannot be JSON.
    @Test func decimalsAreWrittenAsTheirNumbers() throws {
        let lines = [#"{}"#, #"{"kind":"nan"}"#, #"{"kind":"infinite"}"#, #"{}"#].enumerated().map { index, payload in
            #"{"type":"invoke","id":"\#(index + 1)","payload":\#(payload),"context":{"requestId":"r"}}"#
        }
        let (answers, log) = try answerLines(to: lines, handler: "handlers.decimals")
        let numbers = #"{"type":"result","id":"1","payload":{"price":1.10,"big":12345678901234567890.5,"small":1E-7,"items":[2,[-0,"\u0000statesman-decimal-0"]]}}"#
        let refused = #""errorType":"Runtime.MarshalError","errorMessage":"Unable to marshal response: Out of range float values are not JSON compliant""#
        #expect(answers.count == 4, "\(log)")
        #expect(answers.first == numbers)
        #expect(answers.dropFirst().prefix(2).allSatisfy { $0.contains(refused) }, "\(answers)")
        #expect(answers.last == numbers.replacingOccurrences(of: #""id":"1""#, with: #""id":"4""#))
    }

    @Test func everyLayoutOfAnInvokeGivesTheSameContext() throws {
        let context = #"{"requestId":"r","functionName":"f","state":{"name":"S"}}"#
        let lines = [
            // The host's layout: the context is parsed when the handler asks.
            #"{"type":"invoke","id":"1","payload":{},"context":\#(context)}"#,
            #"{"type":"invoke","id":"2","payload":{"a":[1,{"b":null}]},"context":\#(context)}  "#,
            // Others: members after the context, another order, spaces, a repeated context.
            #"{"type":"invoke","id":"3","payload":{},"context":\#(context),"extra":{"context":1}}"#,
            #"{"context":\#(context),"id":"4","payload":{},"type":"invoke"}"#,
            #" { "type" : "invoke", "id" : "5", "payload" : {}, "context" : \#(context) } "#,
            #"{"type":"invoke","id":"6","payload":{},"context":{"requestId":"old"},"context":\#(context)}"#,
        ]
        let (answers, log) = try answers(to: lines, handler: "handlers.context_fields")
        #expect(answers.count == lines.count, "\(log)")
        for (index, answer) in answers.enumerated() {
            #expect(answer["type"] == "result" && answer["id"] == .string(String(index + 1)))
            #expect(answer["payload"] == ["request": "r", "function": "f", "state": ["name": "S"]], "line \(index + 1)")
        }
        #expect(log.isEmpty, "\(log)")
    }

    @Test func aBrokenPayloadIsNotAnInvocationABrokenContextIsEmpty() throws {
        let lines = [
            #"{"type":"invoke","id":"1","payload":{"a":},"context":{"requestId":"r"}}"#,
            // The context is read when the handler asks: it finds it empty, and the runner
            // says why on stderr (the engine's log).
            #"{"type":"invoke","id":"2","payload":{},"context":{"requestId":"r",}}"#,
            #"{"type":"invoke","id":"3","payload":{},"context":{"requestId":"r"}x}}"#,
            // Too deep for Python's decoder, in another layout: no id to answer.
            #"{"id":"5","type":"invoke","payload":\#(String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)),"context":{}}"#,
            #"{"type":"invoke","id":"4","payload":{},"context":{"requestId":"r"}}"#,
        ]
        let (answers, log) = try answers(to: lines, handler: "handlers.context_fields")
        #expect(answers.map { $0["id"] } == ["2", "3", "4"], "\(answers)")
        #expect(answers.map { $0["payload"]?["request"] } == ["", "", "r"], "\(answers)")
        #expect(log.components(separatedBy: "ignoring a line that is not JSON").count == 2, "\(log)")
        #expect(log.components(separatedBy: "ignoring a line nested too deeply to decode").count == 2, "\(log)")
        #expect(log.components(separatedBy: "the invoke line cannot be decoded").count == 3, "\(log)")
    }

    /// The runner writes a short line without its lock (a pipe takes it whole), but a long
    /// one goes in parts: a heartbeat a handler's thread sends meanwhile must not land inside it.
    @Test func aHeartbeatFromAnotherThreadNeverLandsInsideALongAnswer() throws {
        let length = 200_000
        let lines = (1...10).map { #"{"type":"invoke","id":"\#($0)","payload":{"length":\#(length)},"context":{"requestId":"r"}}"# }
        let (answers, log) = try answers(to: lines, handler: "handlers.long_answer_beside_heartbeats")
        let results = answers.filter { $0["type"] == "result" }
        #expect(results.map { $0["id"] } == (1...10).map { .string(String($0)) }, "\(log)")
        #expect(results.allSatisfy { $0["payload"]?.stringValue?.count == length })
        #expect(answers.count == results.count + 10 * 200, "every line is a whole message: \(answers.count)")
        #expect(answers.allSatisfy { $0["type"] == "result" || ($0["type"] == "heartbeat" && $0["id"] != nil) })
    }

    /// A line limit the host's welcome gives holds for short answers too (those the runner
    /// writes without its lock): a result past it is Lambda's size error.
    @Test func theWelcomesLineLimitHoldsForShortAnswers() throws {
        let welcome = #"{"type":"welcome","protocol":1,"function":{"name":"f"},"maxLineBytes":200}"#
        let lines = [welcome] + [100, 300].enumerated().map { index, length in
            #"{"type":"invoke","id":"\#(index + 1)","payload":{"length":\#(length)},"context":{"requestId":"r"}}"#
        }
        let (answers, log) = try answers(to: lines, handler: "handlers.sized_string")
        #expect(answers.map { $0["type"] } == ["result", "error"], "\(log)")
        #expect(answers.first?["payload"]?.stringValue?.count == 100)
        #expect(answers.last?["errorType"] == "Function.ResponseSizeTooLarge")
    }

    /// A handler that cannot be loaded fails every invocation with the error type and message
    /// of Lambda's Python runtime, and the worker serves on.
    @Test(arguments: [
        ("fine.missing", "Runtime.HandlerNotFound", "Handler 'missing' missing on module 'fine'"),
        ("nomodule.handler", "Runtime.ImportModuleError", "Unable to import module 'nomodule': No module named 'nomodule'"),
        ("broken.handler", "Runtime.UserCodeSyntaxError", "Syntax error in module 'broken': expected ':' (broken.py, line 1)"),
        ("nodot", "Runtime.MalformedHandlerName", "Bad handler 'nodot': not enough values to unpack (expected 2, got 1)"),
        ("sys.handler", "Runtime.BuiltInModuleConflict", "Cannot use built-in module sys as a handler module"),
        ("raising.handler", "RuntimeError", "no configuration"),
    ])
    func aHandlerThatCannotBeLoadedFailsAsInLambda(handler: String, errorType: String, message: String) throws {
        let code = try TestFiles.directory("handler-code")
        try Data("def handler(event, context):\n    return event\n".utf8).write(to: code.appendingPathComponent("fine.py"))
        try Data("def handler(event, context)\n    return event\n".utf8).write(to: code.appendingPathComponent("broken.py"))
        try Data("raise RuntimeError('no configuration')\n".utf8).write(to: code.appendingPathComponent("raising.py"))
        let lines = (1...2).map { #"{"type":"invoke","id":"\#($0)","payload":{},"context":{"requestId":"r"}}"# }
        let (answers, log) = try answers(to: lines, handler: handler, code: code.path)
        #expect(answers.map { $0["id"] } == ["1", "2"], "\(log)")
        for answer in answers {
            #expect(answer["type"] == "error")
            #expect(answer["errorType"] == .string(errorType))
            #expect(answer["errorMessage"] == .string(message))
        }
        let trace = answers.first?["stackTrace"]?.arrayValue?.compactMap(\.stringValue) ?? []
        switch errorType {
        case "Runtime.UserCodeSyntaxError":
            #expect(trace == ["  File \"\(code.path)/broken.py\" Line 1\n    def handler(event, context)\n"])
        case "RuntimeError":
            #expect(trace.last?.hasPrefix("  File \"\(code.path)/raising.py\", line 1, in <module>") == true, "\(trace)")
        default:
            #expect(trace.isEmpty)
        }
    }
}
