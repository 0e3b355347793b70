import Foundation
import JSONCore
import PluginHost
import PluginProtocol
import Testing

/// `statesman plugins check`'s engine against real plugins: a conforming one passes every
/// transcript exactly; broken ones are caught with the transcript line named.
@Suite struct TranscriptCheckTests {
    static let transcripts: [String] = {
        let directory = Fixtures.paths.transcripts ?? ""
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".jsonl") }.sorted().map { "\(directory)/\($0)" }
    }()

    static var runner: String { (Fixtures.paths.plugins ?? "") + "/python/statesman_runner.py" }

    @Test func pythonRunnerWithEchoHandlerPassesEveryTranscriptExactly() async throws {
        #expect(Self.transcripts.count >= 6)
        let echo = (Fixtures.paths.plugins ?? "") + "/examples/echo"
        for transcript in Self.transcripts {
            let problems = await TranscriptCheck(exact: true).run(
                transcript: transcript, command: [Fixtures.paths.python ?? "python3", Self.runner, "--handler", "echo.handler", "--code", echo])
            #expect(problems.isEmpty, "\(transcript): \(problems)")
        }
    }

    @Test func pluginThatIgnoresShutdownFails() async throws {
        let transcript = try #require(Self.transcripts.first { $0.hasSuffix("02-invoke.jsonl") })
        let problems = await TranscriptCheck(timeout: 3).run(
            transcript: transcript, command: [Fixtures.paths.python ?? "python3", "\(Fixtures.directory)/misbehaving_plugin.py", "ignore-term"])
        #expect(problems == ["02-invoke.jsonl:7: the plugin did not exit within 3 s after shutdown"])
    }

    @Test func wrongAnswerIsReportedWithItsLine() async throws {
        let transcript = try #require(Self.transcripts.first { $0.hasSuffix("02-invoke.jsonl") })
        // A handler that always raises answers with an error: acceptable in general, not
        // when payloads must match.
        let command = [Fixtures.paths.python ?? "python3", Self.runner, "--handler", "handlers.raise_exception", "--code", Fixtures.directory]
        #expect(await TranscriptCheck().run(transcript: transcript, command: command).isEmpty)
        let problems = await TranscriptCheck(exact: true).run(transcript: transcript, command: command)
        #expect(problems.count == 1 && problems[0].hasPrefix("02-invoke.jsonl:5: expected {\"type\":\"result\""), "\(problems)")
    }

    @Test func pluginWithoutHelloFails() async throws {
        let transcript = try #require(Self.transcripts.first { $0.hasSuffix("01-handshake.jsonl") })
        let problems = await TranscriptCheck(timeout: 1).run(
            transcript: transcript, command: [Fixtures.paths.python ?? "python3", "\(Fixtures.directory)/misbehaving_plugin.py", "no-hello"])
        #expect(problems.count == 1 && problems[0].hasPrefix("01-handshake.jsonl:2: no hello within 1 s: a plugin's first line must be its hello message"), "\(problems)")
    }

    /// `plugins check` tries the handshake first: one clear message instead of every
    /// transcript failing the same way, with what the plugin wrote to stderr when it ended.
    @Test func theHandshakeIsCheckedFirstWithThePluginsLastLogLines() async throws {
        let python = Fixtures.paths.python ?? "python3"
        let check = TranscriptCheck(timeout: 1)
        #expect(await check.handshake(command: [python, Self.runner, "--handler", "echo.handler", "--code", (Fixtures.paths.plugins ?? "") + "/examples/echo"]) == nil)
        let silent = try #require(await check.handshake(command: [python, "\(Fixtures.directory)/misbehaving_plugin.py", "no-hello"]))
        #expect(silent.hasPrefix("no hello within 1 s"))
        let future = try #require(await check.handshake(command: [python, "\(Fixtures.directory)/misbehaving_plugin.py", "bad-version"]))
        #expect(future == "the plugin speaks protocol versions [99]; this host speaks [1]")
        let chatty = try #require(await check.handshake(command: [python, "-c", "print('starting up')"]))
        #expect(chatty.hasPrefix("the plugin's first line must be its hello message") && chatty.hasSuffix("it wrote starting up"), "\(chatty)")
        let broken = try #require(await check.handshake(command: [python, "-c", "import sys; print('loading', file=sys.stderr); import no_such_module"]))
        #expect(broken.hasPrefix("the plugin ended (exit status 1) before its hello message; its last log lines: "), "\(broken)")
        #expect(broken.hasSuffix("ModuleNotFoundError: No module named 'no_such_module'"), "\(broken)")
        #expect(broken.contains("loading | Traceback"), "\(broken)")
    }
}

@Suite struct ResultLinePrefixTests {
    func number(_ text: String) -> UInt64? {
        Array(text.utf8).withUnsafeBufferPointer { PluginMessage.resultNumber(inPrefixOf: $0) }
    }

    @Test func theRunnersFormGivesItsNumber() {
        #expect(number(#"{"type":"result","id":"42","payload":{"a":1}}"#) == 42)
        #expect(number(#"{"type":"result","id":"0","payload":null}"#) == 0)
        #expect(number(#"{"type":"result","id":"18446744073709551","payload":1,"extra":true}"#) == 18_446_744_073_709_551)
    }

    /// Anything else goes to the full decoder, which judges it.
    @Test(arguments: [
        #"{"type": "result", "id": "42", "payload": 1}"#,
        #"{"id":"42","type":"result","payload":1}"#,
        #"{"type":"result","id":"042","payload":1}"#,
        #"{"type":"result","id":"","payload":1}"#,
        #"{"type":"result","id":"4x","payload":1}"#,
        #"{"type":"result","id":"12345678901234567890","payload":1}"#,
        #"{"type":"result","id":"42","payload":1} "#,
        #"{"type":"result","id":"42","payload":"#,
        #"{"type":"error","id":"42","errorType":"E"}"#,
        "",
    ])
    func otherLinesAreLeftToTheDecoder(line: String) {
        #expect(number(line) == nil)
    }

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Whatever the payload-only parse accepts, the full decoder reads the same way.
    @Test(arguments: [
        #"{"type":"result","id":"42","payload":{"a":[1,2.50,"x\u00e9"],"b":null}}"#,
        #"{"type":"result","id":"7","payload": {"a":1} }"#,
        #"{"type":"result","id":"0","payload":null}"#,
        #"{"type":"result","id":"3","payload":"text"}"#,
    ])
    func theExactFormIsReadAsTheDecoderReadsIt(line: String) throws {
        let fast = try #require(bytes(line).withUnsafeBufferPointer(PluginMessage.decodeResult))
        let full = try bytes(line).withUnsafeBufferPointer { line throws(PluginProtocolViolation) in try PluginMessage.decode(line) }
        #expect(PluginMessage.result(id: String(fast.number), payload: fast.payload) == full)
    }

    /// A line with the runners' prefix but more after the payload, or none, or a broken one,
    /// is the full decoder's: it keeps the last of a repeated key and names what is wrong.
    @Test(arguments: [
        #"{"type":"result","id":"42","payload":1,"extra":true}"#,
        #"{"type":"result","id":"42","payload":1,"payload":2}"#,
        #"{"type":"result","id":"42","payload":1,"type":"log"}"#,
        #"{"type":"result","id":"42","payload":}"#,
        #"{"type":"result","id":"42","payload":{"a":}}"#,
        #"{"type":"result","id":"42","payload":[1}"#,
    ])
    func anythingMoreIsTheDecodersToRead(line: String) {
        #expect(number(line) == 42)
        #expect(bytes(line).withUnsafeBufferPointer(PluginMessage.decodeResult) == nil)
    }

    /// The payload may nest as deep as the whole line allows, and no deeper.
    @Test func aPayloadNestsOneLevelLessThanTheLine() throws {
        func line(depth: Int) -> [UInt8] {
            bytes(#"{"type":"result","id":"1","payload":"# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}")
        }
        let deepest = JSONParser.maximumDepth - 1
        #expect(line(depth: deepest).withUnsafeBufferPointer(PluginMessage.decodeResult) != nil)
        #expect((try? line(depth: deepest).withUnsafeBufferPointer { line throws(PluginProtocolViolation) in try PluginMessage.decode(line) }) != nil)
        #expect(line(depth: deepest + 1).withUnsafeBufferPointer(PluginMessage.decodeResult) == nil)
        #expect((try? line(depth: deepest + 1).withUnsafeBufferPointer { line throws(PluginProtocolViolation) in try PluginMessage.decode(line) }) == nil)
    }
}

@Suite struct HostMessageTests {
    @Test func invokeLineIsTheDocumentedObject() throws {
        let function = FunctionIdentity(name: "f\"n", arn: "arn:aws:lambda:us-east-1:1:function:f", memoryLimitInMB: 256, timeoutMilliseconds: 1500)
        let context = InvocationContext(
            requestId: "r-1", invokedFunctionArn: "arn:aws:lambda:us-east-1:1:function:f:prod", executionArn: "e-arn", executionName: "e",
            stateName: "S", stateEnteredTime: "2026-11-26T00:00:00.000Z", attempt: 2, taskToken: "tok")
        let line = HostMessage.invoke(id: "9", payload: ["a": [1, "ü"]], function: function, context: context).line
        #expect(line.last == 0x0A)
        let expected: JSONValue = [
            "type": "invoke", "id": "9", "payload": ["a": [1, "ü"]],
            "context": [
                "requestId": "r-1", "functionName": "f\"n", "functionVersion": "$LATEST",
                "invokedFunctionArn": "arn:aws:lambda:us-east-1:1:function:f:prod", "memoryLimitInMB": 256, "timeoutMs": 1500, "attempt": 2,
                "execution": ["arn": "e-arn", "name": "e"], "state": ["name": "S", "enteredTime": "2026-11-26T00:00:00.000Z"], "taskToken": "tok",
            ],
        ]
        #expect(try JSONValue(parsing: line.dropLast()) == expected)
        let bare = HostMessage.invoke(id: "1", payload: .null, function: function, context: InvocationContext(requestId: "r", invokedFunctionArn: "a")).line
        #expect(try JSONValue(parsing: bare.dropLast())["context"]?["execution"] == nil)
    }
}
