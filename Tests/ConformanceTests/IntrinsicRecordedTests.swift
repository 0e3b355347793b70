import ASLErrors
import JSONCore
import PathExpressions
import PayloadTemplates
import Testing

/// Runs the AWS-recorded cases (tag `intrinsic`) whose machine is a single Pass state with
/// `Parameters`: the template is evaluated as that state would, and the output compared with
/// what AWS returned. The other intrinsic cases need the interpreter and run with it.
@Suite struct IntrinsicRecordedTests {
    /// A context object shaped like AWS's, with the snapshot placeholders as its names.
    static let context: JSONValue = [
        "Execution": [
            "Id": "arn:<partition>:states:<region>:111111111111:execution:<ArnPart_0idx>:<ExecArnPart_0idx>",
            "Name": "<ExecArnPart_0idx>", "RoleArn": "snf_role_arn", "StartTime": "date", "RedriveCount": 0,
        ],
        "StateMachine": ["Id": "arn:<partition>:states:<region>:111111111111:stateMachine:<ArnPart_0idx>", "Name": "<ArnPart_0idx>"],
        "State": ["Name": "State_0", "EnteredTime": "date"],
    ]

    @Test func singlePassStateCases() {
        guard let files = ConformanceData.loadFolder("aws-recorded") else {
            print("aws-recorded intrinsic: skipped (conformance data absent)")
            return
        }
        var passed = 0, failed: [String] = [], total = 0
        for (_, testCase) in files {
            guard let tags = testCase["tags"]?.arrayValue, tags.contains("intrinsic"),
                let definition = testCase["definition"], let states = definition["States"]?.objectValue,
                states.count == 1, let state = states.values.first, state["Type"] == "Pass",
                let parameters = state["Parameters"],
                Set(state.objectValue!.keys).isSubset(of: ["Type", "Parameters", "End", "Comment"])
            else { continue }
            total += 1
            let id = testCase["id"]?.stringValue ?? "?"
            let expected = testCase["expected"] ?? .null
            var context = Self.context.objectValue!
            var execution = context["Execution"]!.objectValue!
            execution["Input"] = testCase["input"]
            context["Execution"] = .object(execution)
            let scope = DataScope(input: testCase["input"] ?? [:], context: .object(context))
            do {
                let output = try PayloadTemplate(parameters).evaluate(in: scope)
                if expected["status"] == "SUCCEEDED", PlaceholderMatch.matches(output, expected["output"] ?? .null) {
                    passed += 1
                } else {
                    failed.append("\(id): got \(output.compactString), AWS \(expected.compactString)")
                }
            } catch let failure as ExecutionFailure {
                if expected["status"] == "FAILED", expected["error"]?.stringValue == failure.error.rawValue {
                    passed += 1
                } else {
                    failed.append("\(id): failed \(failure), AWS \(expected.compactString)")
                }
            } catch {
                failed.append("\(id): template rejected: \(error)")
            }
        }
        print("aws-recorded intrinsic (single Pass state): \(passed) passed, \(total - passed) failed")
        for line in failed { print("  " + line) }
        #expect(total > 0)
        #expect(passed >= ConformanceData.ratchet("aws-recorded-intrinsic"))
    }
}

/// Compares actual with expected where expected may hold snapshot placeholders: a string that
/// is a placeholder matches any value, and one inside a longer string matches any non-empty text.
enum PlaceholderMatch {
    static let placeholders = ["<ExecArnPart_0idx>", "<ArnPart_0idx>", "<partition>", "<region>", "RandomNumberGenerated", "date", "snf_role_arn"]

    static func matches(_ actual: JSONValue, _ expected: JSONValue, extra: [String] = []) -> Bool {
        let all = placeholders + extra
        switch (actual, expected) {
        case (_, .string(let e)) where all.contains(e):
            return true
        case (.string(let a), .string(let e)):
            return a == e || wildcardMatch(a, e, all)
        case (.array(let a), .array(let e)):
            return a.count == e.count && zip(a, e).allSatisfy { matches($0, $1, extra: extra) }
        case (.object(let a), .object(let e)):
            return a.count == e.count && e.members.allSatisfy { member in a[member.key].map { matches($0, member.value, extra: extra) } ?? false }
        default:
            return actual == expected
        }
    }

    private static func wildcardMatch(_ actual: String, _ pattern: String, _ placeholders: [String]) -> Bool {
        guard placeholders.contains(where: { pattern.contains($0) }) else { return false }
        var regex = ""
        var rest = Substring(pattern)
        while !rest.isEmpty {
            if let p = placeholders.first(where: { rest.hasPrefix($0) }) {
                regex += ".+"
                rest = rest.dropFirst(p.count)
            } else {
                let c = rest.removeFirst()
                regex += "\\^$.|?*+()[]{}".contains(c) ? "\\\(c)" : String(c)
            }
        }
        return (try? Regex(regex).dotMatchesNewlines().wholeMatch(in: actual)) != nil
    }
}
