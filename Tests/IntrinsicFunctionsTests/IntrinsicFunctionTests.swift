import ASLErrors
import IntrinsicFunctions
import JSONCore
import PathExpressions
import Testing

func evaluate(_ text: String, input: JSONValue = [:], context: JSONValue = [:], variables: JSONObject = [:]) throws -> JSONValue {
    try IntrinsicCall(parsing: text).evaluate(in: DataScope(input: input, context: context, variables: variables))
}

/// The failure an intrinsic call ends with.
func failure(_ text: String, input: JSONValue = [:]) -> IntrinsicEvaluationError? {
    guard let call = try? IntrinsicCall(parsing: text) else { return nil }
    do {
        _ = try call.evaluate(in: DataScope(input: input))
        return nil
    } catch {
        return error
    }
}

func cause(_ text: String, input: JSONValue = [:]) -> String? {
    if case .failed(let f)? = failure(text, input: input) { return f.error == .intrinsicFailure ? f.cause : "wrong error \(f.error)" }
    return nil
}

@Suite struct IntrinsicFunctionTests {
    // Results pinned from the AWS recordings in conformance/aws-recorded (tag intrinsic).
    @Test(arguments: [
        ("States.Format('Formatting argument {}.', $.v)", ["v": nil] as JSONValue, "\"Formatting argument null.\""),
        ("States.Format('Formatting argument {}.', $.v)", ["v": 1], "\"Formatting argument 1.\""),
        ("States.Format('{} and {}', $.v, $.w)", ["v": 1.5, "w": [1, "a"]], "\"1.5 and [1, a]\""),
        ("States.Format('it\\'s \\{literal\\} {}', 'x')", [:], "\"it's {literal} x\""),
        ("States.StringToJson($.v)", ["v": ""], "null"),
        ("States.StringToJson($.v)", ["v": " "], "null"),
        ("States.StringToJson($.v)", ["v": "-0"], "0"),
        ("States.StringToJson($.v)", ["v": "{\"Arg1\": 1, \"Arg2\": []}"], "{\"Arg1\":1,\"Arg2\":[]}"),
        ("States.JsonToString($.v)", ["v": [1, 2, "HelloWorld"]], "\"[1,2,\\\"HelloWorld\\\"]\""),
        ("States.JsonToString($.v)", ["v": 1.1], "\"1.1\""),
        ("States.Array()", [:], "[]"),
        ("States.Array($.v, 'a', 1, true, null)", ["v": ["x": 1]], "[{\"x\":1},\"a\",1,true,null]"),
        ("States.ArrayPartition($.v, 2)", ["v": [0, 1, 2, 3, 4]], "[[0,1],[2,3],[4]]"),
        ("States.ArrayPartition($.v, 4)", ["v": []], "[]"),
        ("States.ArrayContains($.v, $.w)", ["v": [["1": 2, "2": []]], "w": ["2": [], "1": 2]], "true"),
        ("States.ArrayContains($.v, $.w)", ["v": [[1, 2, 3], 2], "w": nil], "false"),
        ("States.ArrayRange(0, 9, 3)", [:], "[0,3,6,9]"),
        ("States.ArrayRange(1, 9, 9)", [:], "[1]"),
        ("States.ArrayRange(5, 1, -2)", [:], "[5,3,1]"),
        ("States.ArrayRange(5, 1, 2)", [:], "[]"),
        ("States.ArrayGetItem($.v, 1)", ["v": ["a", "b"]], "\"b\""),
        ("States.ArrayLength($.v)", ["v": [1, 2, 3]], "3"),
        ("States.ArrayUnique($.v)", ["v": [1, 2, 1.0, "1", [1], [1]]], "[1,2,\"1\",[1]]"),
        ("States.Base64Encode('Data to encode')", [:], "\"RGF0YSB0byBlbmNvZGU=\""),
        ("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", [:], "\"Data to encode\""),
        ("States.Hash('input data', 'MD5')", [:], "\"812f45842bc6d66ee14572ce20db8e86\""),
        ("States.Hash('input data', 'SHA-1')", [:], "\"aaff4a450a104cd177d28d18d74485e8cae074b7\""),
        ("States.Hash('input data', 'SHA-256')", [:], "\"b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3\""),
        ("States.JsonMerge($.a, $.b, false)", ["a": ["a": ["a1": 1], "b": 2, "d": 3], "b": ["a": ["a3": 1], "c": 3, "d": 4]], "{\"a\":{\"a3\":1},\"b\":2,\"d\":4,\"c\":3}"),
        ("States.MathAdd($.a, $.b)", ["a": -1.5, "b": 0], "-1"),
        ("States.MathAdd($.a, $.b)", ["a": 1.5, "b": 1.51], "4"),
        ("States.MathAdd($.a, $.b)", ["a": -1.49, "b": -1.5], "-2"),
        ("States.MathAdd($.a, $.b)", ["a": -3.5, "b": 0], "-3"),
        ("States.MathAdd(111, -1)", [:], "110"),
        ("States.MathRandom(1, 100, 7)", [:], "80"),
        ("States.StringSplit($.s, '.+,=')", ["s": "This.is+a,test=string"], "[\"This\",\"is\",\"a\",\"test\",\"string\"]"),
        ("States.StringSplit($.s, ',')", ["s": "a,,b,\n"], "[\"a\",\"b\",\"\\n\"]"),
        ("States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), 0)", [:], "\"my\""),
    ] as [(String, JSONValue, String)])
    func results(call: String, input: JSONValue, expected: String) throws {
        let context: JSONValue = ["StateMachine": ["Name": "my-machine"]]
        #expect(try evaluate(call, input: input, context: context) == JSONValue(parsing: expected))
    }

    @Test func uuidIsVersion4() throws {
        let uuid = try #require(try evaluate("States.UUID()").stringValue)
        #expect(uuid.count == 36)
        #expect(Array(uuid)[14] == "4")
        #expect(try evaluate("States.UUID()") != evaluate("States.UUID()"))
    }

    @Test func mathRandomStaysInRange() throws {
        for _ in 0..<200 {
            let n = try #require(try evaluate("States.MathRandom(-3, 4)").integerValue)
            #expect((-3..<4).contains(n))
        }
        #expect(try evaluate("States.MathRandom(0, 1000, 42)") == evaluate("States.MathRandom(0, 1000, 42)"))
    }

    @Test func variablesAndContextAsArguments() throws {
        #expect(try evaluate("States.Format('{}-{}', $greeting, $$.Execution.Name)", context: ["Execution": ["Name": "run1"]], variables: ["greeting": "hi"]) == "hi-run1")
    }

    @Test(arguments: [
        ("States.ArrayRange(1, 9, 0)", "Invalid arguments in States.ArrayRange: the step must not be zero"),
        ("States.ArrayRange(0, 1000, 1)", "Invalid arguments in States.ArrayRange: the range would have 1001 elements, more than the 1000 allowed"),
        ("States.ArrayRange(0, 1.5, 1)", "Invalid arguments in States.ArrayRange: the second argument must be an integer, but was number: 1.5"),
        ("States.ArrayPartition($.v, 0)", "Invalid arguments in States.ArrayPartition: the chunk size must be a positive integer, but was 0"),
        ("States.ArrayGetItem($.v, 3)", "Invalid arguments in States.ArrayGetItem: the index 3 is out of bounds for an array of 3 elements"),
        ("States.ArrayLength('x')", "Invalid arguments in States.ArrayLength: the first argument must be an array, but was string: \"x\""),
        ("States.Format('{} {}', 1)", "Invalid arguments in States.Format: the template has more placeholders than the 1 arguments given"),
        ("States.Format('{}', 1, 2)", "Invalid arguments in States.Format: the template has 1 placeholders but 2 arguments were given"),
        ("States.StringToJson('{')", "Invalid arguments in States.StringToJson: the argument is not valid JSON (1:2: unexpected end of text, expected an object key): {"),
        ("States.Hash('x', 'SHA-3')", "Invalid arguments in States.Hash: the algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512, but was SHA-3"),
        ("States.JsonMerge($.o, $.o, true)", "Invalid arguments in States.JsonMerge: deep merge is not supported; the third argument must be false"),
        ("States.JsonMerge($.v, $.o, false)", "Invalid arguments in States.JsonMerge: the first argument must be a JSON object, but was array"),
        ("States.MathRandom(5, 5)", "Invalid arguments in States.MathRandom: the start (5) must be less than the end (5), both 32-bit integers"),
        ("States.MathAdd($.o, 2)", "Invalid arguments in States.MathAdd: the first argument must be a number, but was object: {\"a\":1}"),
        ("States.Base64Decode('%%%')", "Invalid arguments in States.Base64Decode: the argument is not valid Base64-encoded UTF-8 text: %%%"),
    ])
    func rejectedArguments(call: String, message: String) {
        #expect(cause(call, input: ["v": [1, 2, 3], "o": ["a": 1]]) == message)
    }

    @Test func stringLimitsAreTenThousandCharacters() {
        let ok = String(repeating: "é", count: 10_000)
        #expect(cause("States.Base64Encode($.s)", input: ["s": .string(ok)]) == nil)
        #expect(cause("States.Base64Encode($.s)", input: ["s": .string(ok + "x")]) == "Invalid arguments in States.Base64Encode: the argument must be at most 10000 characters long, but has 10001")
    }

    @Test func missingPathArgumentIsReportedWithItsSelector() {
        guard case .pathFailed(let selector, let error)? = failure("States.Format('{}', $.missing)") else {
            Issue.record("expected a path failure")
            return
        }
        #expect(selector.text == "$.missing")
        #expect(error.kind == .pathNotFound)
    }
}
