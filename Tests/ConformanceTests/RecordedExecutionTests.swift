import ASLErrors
import ASLModel
import Foundation
import Interpreter
import JSONCore
import Testing

/// Runs every AWS-recorded case that needs neither JSONata nor a Lambda function, end to end
/// through the interpreter, and compares status, output, error and cause (and, separately,
/// the event types) with what AWS returned.
@Suite struct RecordedExecutionTests {
    static func applies(_ testCase: JSONValue) -> Bool {
        let tags = (testCase["tags"]?.arrayValue ?? []).compactMap(\.stringValue)
        let category = testCase["category"]?.stringValue ?? ""
        return !tags.contains("jsonata") && !tags.contains("lambda") && category != "jsonata" && category != "lambda-based"
    }

    @Test func recordedCases() async {
        guard let files = ConformanceData.loadFolder("aws-recorded") else {
            print("aws-recorded: skipped (conformance data absent)")
            return
        }
        var counts: [String: (passed: Int, total: Int)] = [:]
        var eventsMatched = 0, eventsCompared = 0, eventsSameMultiset = 0
        var failures: [String] = []
        for (_, testCase) in files where Self.applies(testCase) {
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
            let interpreter = Interpreter(clock: ManualClock(start: Date()))
            let outcome = await interpreter.run(definition, input: testCase["input"] ?? [:], options: ExecutionOptions(name: "<ExecArnPart_0idx>", stateMachineName: "<ArnPart_0idx>", account: "111111111111"))
            var problemsFound: [String] = []
            if outcome.status.rawValue != expected["status"]?.stringValue {
                problemsFound.append("status \(outcome.status.rawValue) (\(outcome.error ?? ""): \(outcome.cause ?? "")), AWS \(expected["status"]?.stringValue ?? "?")")
            }
            if outcome.status == .succeeded, !PlaceholderMatch.matches(outcome.output ?? .null, expected["output"] ?? .null, extra: placeholders) {
                problemsFound.append("output \(outcome.output?.compactString ?? "nil"), AWS \(expected["output"]?.compactString ?? "nil")")
            }
            if outcome.status != .succeeded {
                if let error = expected["error"]?.stringValue, error != outcome.error {
                    problemsFound.append("error \(outcome.error ?? "nil"), AWS \(error)")
                }
                if let causeJSON = expected["cause_json"] {
                    let actual = outcome.cause.flatMap { try? JSONValue(parsing: $0) }
                    if !PlaceholderMatch.matches(actual ?? .null, causeJSON, extra: placeholders) {
                        problemsFound.append("cause \(outcome.cause ?? "nil"), AWS \(causeJSON.compactString)")
                    }
                } else if let cause = expected["cause"]?.stringValue, !PlaceholderMatch.matches(.string(outcome.cause ?? ""), .string(cause), extra: placeholders) {
                    problemsFound.append("cause \(outcome.cause ?? "nil"), AWS \(cause)")
                }
            }
            if problemsFound.isEmpty {
                counts[category, default: (0, 0)].passed += 1
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
            print("aws-recorded \(category): \(count.passed) passed, \(count.total - count.passed) failed")
        }
        print("aws-recorded: \(passed) passed, \(total - passed) failed (event sequences: \(eventsMatched) of \(eventsCompared) identical, \(eventsSameMultiset) with the same events)")
        for failure in failures.sorted() { print("  " + failure) }
        #expect(passed >= ConformanceData.ratchet("aws-recorded"))
        #expect(eventsSameMultiset >= ConformanceData.ratchet("aws-recorded-events"))
    }
}
