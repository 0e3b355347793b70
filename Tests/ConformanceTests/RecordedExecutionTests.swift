import ASLErrors
import ASLModel
import Foundation
import Interpreter
import JSONCore
import PluginHost
import Testing
import Workflow

/// Runs the AWS-recorded cases end to end through the interpreter, and compares status,
/// output, error and cause (and, separately, the event types) with what AWS returned: those that
/// need neither JSONata nor a Lambda function, those that need Lambda functions, and those that
/// use JSONata.
@Suite struct RecordedExecutionTests {
    enum Selection {
        case plain, lambda, jsonata
    }

    static func applies(_ testCase: JSONValue, _ selection: Selection) -> Bool {
        let tags = (testCase["tags"]?.arrayValue ?? []).compactMap(\.stringValue)
        let category = testCase["category"]?.stringValue ?? ""
        let needsLambda = tags.contains("lambda") || category == "lambda-based"
        let usesJSONata = tags.contains("jsonata") || category == "jsonata"
        switch selection {
        case .plain: return !usesJSONata && !needsLambda
        case .lambda: return !usesJSONata && needsLambda
        case .jsonata: return usesJSONata
        }
    }

    @Test func recordedCases() async {
        guard let files = ConformanceData.loadFolder("aws-recorded") else {
            print("aws-recorded: skipped (conformance data absent)")
            return
        }
        await run(files, suite: "aws-recorded", selection: .plain, invoker: NoTaskInvoker())
    }

    /// The cases whose Task states call Lambda functions, through real plugin processes: the
    /// functions are Python handlers written from each case's description.
    @Test func recordedLambdaCases() async {
        guard let files = ConformanceData.loadFolder("aws-recorded") else {
            print("aws-recorded-lambda: skipped (conformance data absent)")
            return
        }
        await runWithLambdas(files, suite: "aws-recorded-lambda", selection: .lambda)
    }

    /// The cases that use JSONata (with their Lambda functions, where they call some).
    @Test func recordedJSONataCases() async {
        guard let files = ConformanceData.loadFolder("aws-recorded") else {
            print("aws-recorded-jsonata: skipped (conformance data absent)")
            return
        }
        await runWithLambdas(files, suite: "aws-recorded-jsonata", selection: .jsonata)
    }

    func runWithLambdas(_ files: [(name: String, value: JSONValue)], suite: String, selection: Selection) async {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Lambdas").path
        var names = Set<String>()
        for (_, testCase) in files where Self.applies(testCase, selection) {
            names.formUnion(testCase["lambdas"]?.objectValue?.keys ?? [])
        }
        let registry = FunctionRegistry(names.map {
            FunctionConfiguration(name: $0, runtime: .python, handler: "recorded_functions.\($0)", codeDirectory: directory, maximumWorkers: 1)
        })
        let host = PluginHost(registry: registry)
        let invoker = LambdaTaskInvoker(host: host, account: "111111111111")
        await run(files, suite: suite, selection: selection, invoker: invoker)
        await host.shutdown()
    }

    /// Lambda error causes inside an output, parsed, with their stack traces set aside (AWS's
    /// lines name AWS's handler file; ours name the fixture's) and their spacing kept as a field.
    static func lambdaCauses(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text) where text.hasPrefix("{\"errorMessage\""):
            guard case .object(var object)? = try? JSONValue(parsing: text) else { return value }
            if case .array(let trace)? = object["stackTrace"] { object["stackTrace"] = .int(Int64(trace.count)) }
            object["(spacing)"] = text.contains("\", \"") ? "python" : "compact"
            return .object(object)
        case .array(let items): return .array(items.map(lambdaCauses))
        case .object(let object): return .object(JSONObject(object.members.map { ($0.key, lambdaCauses($0.value)) }))
        default: return value
        }
    }

    func run(_ files: [(name: String, value: JSONValue)], suite: String, selection: Selection, invoker: any TaskInvoker) async {
        let lambda = selection != .plain
        var counts: [String: (passed: Int, total: Int)] = [:]
        var eventsMatched = 0, eventsCompared = 0, eventsSameMultiset = 0
        var variables = (passed: 0, total: 0)
        var failures: [String] = []
        for (_, testCase) in files where Self.applies(testCase, selection) {
            let id = testCase["id"]?.stringValue ?? "?"
            let category = testCase["category"]?.stringValue ?? "?"
            counts[category, default: (0, 0)].total += 1
            let expected = testCase["expected"] ?? .null
            let placeholders = (testCase["placeholders"]?.arrayValue ?? []).compactMap(\.stringValue)
            let (definition, problems) = DefinitionDecoder.decode(testCase["definition"] ?? .null)
            guard let definition else {
                failures.append("\(category) \(id): definition rejected: \(problems.map(\.description).joined(separator: "; "))")
                continue
            }
            let interpreter = Interpreter(invoker: invoker, clock: ManualClock(start: Date()))
            let outcome = await interpreter.run(definition, input: testCase["input"] ?? [:], options: ExecutionOptions(name: "<ExecArnPart_0idx>", stateMachineName: "<ArnPart_0idx>", account: "111111111111"))
            var problemsFound: [String] = []
            if outcome.status.rawValue != expected["status"]?.stringValue {
                problemsFound.append("status \(outcome.status.rawValue) (\(outcome.error ?? ""): \(outcome.cause ?? "")), AWS \(expected["status"]?.stringValue ?? "?")")
            }
            if outcome.status == .succeeded,
                !PlaceholderMatch.matches(Self.lambdaCauses(outcome.output ?? .null), Self.lambdaCauses(expected["output"] ?? .null), extra: placeholders)
            {
                problemsFound.append("output \(outcome.output?.compactString ?? "nil"), AWS \(expected["output"]?.compactString ?? "nil")")
            }
            if outcome.status != .succeeded {
                if let error = expected["error"]?.stringValue, error != outcome.error {
                    problemsFound.append("error \(outcome.error ?? "nil"), AWS \(error)")
                }
                if var causeJSON = expected["cause_json"] {
                    let actual = outcome.cause.flatMap { try? JSONValue(parsing: $0) }
                    // AWS's stack-trace lines name AWS's handler file: they stand for our own.
                    if lambda, case .array? = causeJSON["stackTrace"], case .array(let trace)? = actual?["stackTrace"], case .object(var object) = causeJSON {
                        object["stackTrace"] = .array(trace)
                        causeJSON = .object(object)
                    }
                    if !PlaceholderMatch.matches(actual ?? .null, causeJSON, extra: placeholders) {
                        problemsFound.append("cause \(outcome.cause ?? "nil"), AWS \(causeJSON.compactString)")
                    }
                } else if let cause = expected["cause"]?.stringValue, !PlaceholderMatch.matches(.string(outcome.cause ?? ""), .string(cause), extra: placeholders) {
                    problemsFound.append("cause \(outcome.cause ?? "nil"), AWS \(cause)")
                }
            }
            let usesVariables = (testCase["tags"]?.arrayValue ?? []).contains(.string("variables"))
            if usesVariables { variables.total += 1 }
            if problemsFound.isEmpty {
                counts[category, default: (0, 0)].passed += 1
                if usesVariables { variables.passed += 1 }
            } else {
                failures.append("\(category) \(id): " + problemsFound.joined(separator: "; "))
            }
            if let events = testCase["events"]?.arrayValue, !events.isEmpty {
                eventsCompared += 1
                let expectedTypes = events.compactMap(\.stringValue), actualTypes = outcome.events.map(\.type)
                // Events of concurrent branches and iterations may interleave differently from
                // run to run (and did on AWS): the ratchet counts sequences with the same events.
                if expectedTypes.sorted() == actualTypes.sorted() { eventsSameMultiset += 1 }
                if expectedTypes == actualTypes { eventsMatched += 1 } else if problemsFound.isEmpty {
                    failures.append("(events) \(category) \(id): \(outcome.events.map(\.type)) vs AWS \(events.compactMap(\.stringValue))")
                }
            }
        }
        let passed = counts.values.reduce(0) { $0 + $1.passed }, total = counts.values.reduce(0) { $0 + $1.total }
        for (category, count) in counts.sorted(by: { $0.key < $1.key }) {
            print("\(suite) \(category): \(count.passed) passed, \(count.total - count.passed) failed")
        }
        print("\(suite): \(passed) passed, \(total - passed) failed (event sequences: \(eventsMatched) of \(eventsCompared) identical, \(eventsSameMultiset) with the same events)")
        if variables.total > 0 { print("\(suite) (tagged variables): \(variables.passed) passed, \(variables.total - variables.passed) failed") }
        for failure in failures.sorted() { print("  " + failure) }
        #expect(passed >= ConformanceData.ratchet(suite))
        #expect(eventsSameMultiset >= ConformanceData.ratchet("\(suite)-events"))
    }
}
