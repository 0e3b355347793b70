import JSONCore
import PathExpressions
import Testing

/// Runs `conformance/jsonpath/cases.json` (cburgmer/json-path-comparison) against the
/// recorded Jayway JsonPath outcome of each query.
@Suite struct JSONPathConformanceTests {
    struct Outcome: CustomStringConvertible {
        var kind: String
        var value: JSONValue?
        var description: String { value.map { "\(kind) \($0.compactString)" } ?? kind }
    }

    static func run(_ testCase: JSONValue) -> Outcome {
        let selector = testCase["selector"]?.stringValue ?? ""
        var document = testCase["document"] ?? .null
        if let text = testCase["documentText"]?.stringValue, let parsed = try? JSONValue(parsing: text) {
            document = parsed
        }
        do {
            let path = try JSONPath(selector)
            return Outcome(kind: "value", value: try path.evaluate(document))
        } catch {
            switch error.kind {
            case .invalidPath: return Outcome(kind: "NOT_SUPPORTED")
            case .pathNotFound: return Outcome(kind: "NOT_FOUND")
            case .evaluationFailed: return Outcome(kind: "ERROR")
            }
        }
    }

    static func agrees(_ actual: Outcome, with expected: JSONValue, ordered: Bool) -> Bool {
        guard actual.kind == expected["outcome"]?.stringValue else { return false }
        guard actual.kind == "value" else { return true }
        guard let want = expected["value"], let got = actual.value else { return false }
        if !ordered, case .array(let a) = got, case .array(let b) = want {
            return a.count == b.count && a.sorted { $0.canonicalString < $1.canonicalString } == b.sorted { $0.canonicalString < $1.canonicalString }
        }
        return got == want
    }

    @Test func jaywayAgreement() throws {
        guard let data = ConformanceData.load("jsonpath/cases.json"), case .array(let cases)? = data["cases"] else {
            print("jsonpath: skipped (conformance data absent)")
            return
        }
        var passed = 0
        var failures: [String] = []
        for testCase in cases {
            let expected = testCase["jayway"] ?? .null
            let actual = Self.run(testCase)
            if Self.agrees(actual, with: expected, ordered: testCase["ordered"]?.boolValue ?? true) {
                passed += 1
            } else {
                failures.append("  \(testCase["id"]?.stringValue ?? "?") \(testCase["selector"]?.stringValue ?? ""): got \(actual), Jayway \(expected["outcome"]?.stringValue ?? "?") \(expected["value"]?.compactString ?? "")")
            }
        }
        print("jsonpath: \(passed) passed, \(cases.count - passed) failed")
        for failure in failures { print(failure) }
        let floor = ConformanceData.ratchet("jsonpath")
        #expect(passed >= floor, "jsonpath conformance fell below the ratchet (\(passed) < \(floor))")
    }
}
