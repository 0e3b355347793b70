import Foundation
import JSONCore
import Testing
import TestSupport

/// Runs the built `statesman` executable as a process, as users and scripts do.
struct StatesmanProcess {
    static var executable: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("statesman")
    }

    static var examples: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples/eval")
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var json: JSONValue? { try? JSONValue(parsing: stdout) }
    }

    /// Where `statesman run` keeps executions when a test does not say: a directory of this
    /// test process, not the working directory.
    static let state = TestFiles.root.appendingPathComponent("state").path

    static func run(_ arguments: [String], stdin: String? = nil) throws -> Result {
        var arguments = arguments
        if arguments.first == "run", !arguments.contains("--state") { arguments += ["--state", state] }
        let finished = try ChildProcess.run(executable.path, arguments, stdin: stdin.map { Data($0.utf8) })
        return Result(status: finished.status, stdout: String(decoding: finished.stdout, as: UTF8.self), stderr: String(decoding: finished.stderr, as: UTF8.self))
    }
}

@Suite struct EvalCommandTests {
    @Test func executableExists() {
        #expect(FileManager.default.isExecutableFile(atPath: StatesmanProcess.executable.path), "build the statesman product first")
    }

    @Test func jsonpathPrintsTheSelection() throws {
        let order = StatesmanProcess.examples.appendingPathComponent("order.json").path
        let result = try StatesmanProcess.run(["eval", "jsonpath", "$.items[?(@.price > 10)].sku", "--input", "@" + order])
        #expect(result.status == 0)
        #expect(result.stdout == "[\"A-100\",\"C-300\"]\n")
    }

    @Test func jsonpathFailureIsAnAWSError() throws {
        let result = try StatesmanProcess.run(["eval", "jsonpath", "$.missing", "--input", "{\"a\":1}"])
        #expect(result.status == 1)
        #expect(result.json == ["error": "States.Runtime", "cause": "Invalid path '$.missing' : No results for path: $['missing']"])
    }

    @Test func jsonataSeesStatesAndVariables() throws {
        let order = StatesmanProcess.examples.appendingPathComponent("order.json").path
        let result = try StatesmanProcess.run([
            "eval", "jsonata", "{% $count($states.input.items) & ' items for ' & $states.context.Execution.Name & $suffix %}",
            "--input", "@" + order, "--context", "{\"Execution\":{\"Name\":\"run-7\"}}", "--vars", "{\"suffix\": \"!\"}",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.json?.stringValue?.hasSuffix(" items for run-7!") == true)
    }

    @Test func jsonataFailuresAreQueryEvaluationErrors() throws {
        let undefined = try StatesmanProcess.run(["eval", "jsonata", "$states.input.nope"])
        #expect(undefined.status == 1)
        #expect(
            undefined.json == [
                "error": "States.QueryEvaluationError",
                "cause": "The JSONata expression '$states.input.nope' specified for the field 'Output' returned nothing (undefined).",
            ])
        let typeError = try StatesmanProcess.run(["eval", "jsonata", "'a' - 1", "--field", "Arguments/n"])
        #expect(
            typeError.json?["cause"]
                == "The JSONata expression ''a' - 1' specified for the field 'Arguments/n' threw an error during evaluation. T2001: The left side of the \"-\" operator must evaluate to a number")
        let syntax = try StatesmanProcess.run(["eval", "jsonata", "$sum(1,"])
        #expect(syntax.status == 1)
        #expect(syntax.json?["error"] == "InvalidDefinition")
        #expect(syntax.json?["cause"]?.stringValue?.contains("S0203 at position 7") == true)
    }

    @Test func contextAndVariables() throws {
        let result = try StatesmanProcess.run([
            "eval", "intrinsic", "States.Format('{} of {}', $n, $$.Execution.Name)",
            "--context", "{\"Execution\":{\"Name\":\"run-7\"}}", "--vars", "{\"n\": 3}",
        ])
        #expect(result.status == 0)
        #expect(result.json == "3 of run-7")
    }

    @Test func intrinsicFailures() throws {
        let path = try StatesmanProcess.run(["eval", "intrinsic", "States.Format('{}', $.x)"])
        #expect(path.status == 1)
        #expect(path.json == ["error": "States.ParameterPathFailure", "cause": "The JSONPath '$.x' specified for the field 'value.$' could not be found in the input '{}'"])
        let argument = try StatesmanProcess.run(["eval", "intrinsic", "States.ArrayRange(1, 2, 0)"])
        #expect(argument.json?["error"] == "States.IntrinsicFailure")
        let syntax = try StatesmanProcess.run(["eval", "intrinsic", "States.Array(1 2)"])
        #expect(syntax.status == 1)
        #expect(syntax.json?["error"] == "InvalidDefinition")
    }

    @Test func templateFromFileWithInputFromStandardInput() throws {
        let template = StatesmanProcess.examples.appendingPathComponent("parameters.json").path
        let order = try String(contentsOf: StatesmanProcess.examples.appendingPathComponent("order.json"), encoding: .utf8)
        let result = try StatesmanProcess.run(["eval", "template", "@" + template, "--input", "@-", "--context", "{\"Execution\":{\"Name\":\"demo\"}}"], stdin: order)
        #expect(result.status == 0)
        #expect(result.json?["summary"] == "Zoë Müller bought 3 kinds of item")
        #expect(result.json?["execution"] == "demo")
    }

    @Test func badInputNamesThePlaceAndExitsTwo() throws {
        let result = try StatesmanProcess.run(["eval", "jsonpath", "$", "--input", "{\"a\": [1,}"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--input:1:10: invalid JSON: unexpected character '}', expected a value"))
        let missing = try StatesmanProcess.run(["eval", "jsonpath", "$", "--input", "@/nonexistent.json"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot read file '/nonexistent.json'"))
        let usage = try StatesmanProcess.run(["eval", "nope"])
        #expect(usage.status == 2)
    }
}

@Suite struct ValidateCommandTests {
    @Test func printsEveryProblemAndExitsOne() throws {
        let file = TestFiles.path("validate").appendingPathExtension("json")
        try #"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "C": {"Type": "Succeed"}}}"#.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try StatesmanProcess.run(["validate", file.path])
        #expect(result.status == 1)
        #expect(result.stdout == "/States/A/Next: Missing 'Next' target: B\n/States/C: State \"C\" is not reachable\n")
    }

    @Test func validDefinitionExitsZero() throws {
        let file = TestFiles.path("valid").appendingPathExtension("json")
        try #"{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}"#.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try StatesmanProcess.run(["validate", file.path, "--type", "EXPRESS"])
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty)
        let missing = try StatesmanProcess.run(["validate", "/nonexistent.json"])
        #expect(missing.status == 2)
    }
}

@Suite struct RunCommandTests {
    static func write(_ text: String) throws -> URL {
        let file = TestFiles.path("run").appendingPathExtension("json")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func succeededRunPrintsJSONAndExitsZero() throws {
        let file = try Self.write(#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a, $.b)"}, "End": true}}}"#)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try StatesmanProcess.run(["run", file.path, "--input", "{\"a\": 2, \"b\": 3}", "--json"])
        #expect(result.status == 0)
        #expect(result.json == ["status": "SUCCEEDED", "output": ["sum": 5]])
    }

    @Test func failedRunExitsOneWithHistory() throws {
        let file = try Self.write(#"{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Nope", "Cause": "because"}}}"#)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try StatesmanProcess.run(["run", file.path, "--history"])
        #expect(result.status == 1)
        #expect(result.json?["error"] == "Nope")
        #expect(result.json?["events"]?.arrayValue?.compactMap { $0["type"]?.stringValue } == ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"])
        let human = try StatesmanProcess.run(["run", file.path])
        #expect(human.stdout.hasPrefix("FAILED in "))
        #expect(human.stdout.contains("error: Nope\ncause: because"))
    }

    @Test func badDefinitionsAndInputExitTwo() throws {
        let invalid = try Self.write(#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A"}}}"#)
        let notJSON = try Self.write("{\"StartAt\": ")
        defer {
            try? FileManager.default.removeItem(at: invalid)
            try? FileManager.default.removeItem(at: notJSON)
        }
        let cycle = try StatesmanProcess.run(["run", invalid.path])
        #expect(cycle.status == 2)
        #expect(cycle.stderr.contains("No terminal state"))
        let text = try StatesmanProcess.run(["run", notJSON.path])
        #expect(text.status == 2)
        #expect(text.stderr.contains("The definition is not valid JSON: 1:13:"))
        let input = try StatesmanProcess.run(["run", invalid.path, "--input", "{oops"])
        #expect(input.status == 2)
    }
}

@Suite struct ExampleWorkflowTests {
    /// The README's main job runs this example; its result is pinned here.
    @Test func orderTotalsExample() throws {
        let root = StatesmanProcess.examples.deletingLastPathComponent()
        let machine = root.appendingPathComponent("orders/order-totals.asl.json").path
        let input = root.appendingPathComponent("eval/order.json").path
        #expect(try StatesmanProcess.run(["validate", machine]).status == 0)
        let result = try StatesmanProcess.run(["run", machine, "--input", "@" + input, "--json"])
        #expect(result.status == 0)
        #expect(result.json?["output"] == [
            "route": "large",
            "summary": [
                "orderId": "ord-1042", "customer": "Zoë Müller", "lineCount": 3, "units": [2, 10, 1],
                "labels": ["line 0: 2 x A-100", "line 1: 10 x B-200", "line 2: 1 x C-300"],
                "expensive": ["A-100", "C-300"],
                "checksum": "24b1d822f0b4b355baa2c906ccf9faff1249f92b7af74864e6965ea1cd5ebc44",
            ],
            "message": "order ord-1042 goes to the large-order desk",
        ])
    }
}
