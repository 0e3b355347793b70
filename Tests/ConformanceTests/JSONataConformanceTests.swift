import Foundation
import JSONCore
import JSONata
import Testing

/// Runs the official JSONata test suite at 2.0.6 (`conformance/jsonata/`, see its README for the
/// case format) and prints `jsonata: N passed, M failed` per group and overall.
@Suite struct JSONataConformanceTests {
    struct Case {
        var group: String
        var name: String
        var value: JSONValue
    }

    /// Every case of every group, with the group's `.jsonata` files read where a case names one.
    static func cases() -> [Case]? {
        guard ConformanceData.available(), let root = ConformanceData.directory?.appendingPathComponent("jsonata/groups") else {
            return nil
        }
        guard let groups = try? FileManager.default.contentsOfDirectory(atPath: root.path) else {
            Issue.record("conformance folder \(root.path) is missing")
            return nil
        }
        var all: [Case] = []
        for group in groups.sorted() {
            let folder = root.appendingPathComponent(group)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for name in names.sorted() where name.hasSuffix(".json") {
                guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path),
                    let parsed = try? JSONValue(parsing: data)
                else {
                    Issue.record("jsonata case \(group)/\(name) does not parse")
                    continue
                }
                let list: [JSONValue] = if case .array(let items) = parsed { items } else { [parsed] }
                for (i, item) in list.enumerated() {
                    let label = list.count > 1 ? "\(name)[\(i)]" : name
                    all.append(Case(group: group, name: label, value: item))
                }
            }
        }
        return all
    }

    /// The shared input documents, by name.
    static let datasets: [String: JSONValue] = {
        guard let folder = ConformanceData.directory?.appendingPathComponent("jsonata/datasets"),
            let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path)
        else { return [:] }
        var loaded: [String: JSONValue] = [:]
        for name in names where name.hasSuffix(".json") {
            if let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path),
                let value = try? JSONValue(parsing: data)
            {
                loaded[String(name.dropLast(5))] = value
            }
        }
        return loaded
    }()

    /// Whether the implementation meets the case's expectation; otherwise what it did instead.
    static func run(_ testCase: Case, groupsFolder: URL) -> String? {
        let spec = testCase.value
        var expression = spec["expr"]?.stringValue
        if let file = spec["expr-file"]?.stringValue {
            let url = groupsFolder.appendingPathComponent(testCase.group).appendingPathComponent(file)
            expression = (try? String(contentsOf: url, encoding: .utf8))
        }
        guard let expression else { return "no expression" }
        var input: JSONValue?
        if let data = spec["data"] {
            input = data
        } else if let name = spec["dataset"]?.stringValue {
            input = datasets[name]
        }
        var bindings: [String: JSONValue] = [:]
        if case .object(let object)? = spec["bindings"] {
            for member in object.members { bindings[member.key] = member.value }
        }
        var options = JSONataExpression.Options(timeLimit: .seconds(5), allowsEval: true)
        if let depth = spec["depth"]?.integerValue { options.maximumDepth = Int(depth) }
        if let limit = spec["timelimit"]?.integerValue { options.timeLimit = .milliseconds(limit) }
        let expectedCode = spec["code"]?.stringValue ?? spec["error"]?["code"]?.stringValue

        let result: JSONValue?
        do {
            result = try JSONataExpression(expression).evaluate(input: input, bindings: bindings, options: options)
        } catch {
            guard let expectedCode else { return "error \(error)" }
            if error.code != expectedCode { return "error \(error.code), expected \(expectedCode)" }
            if let message = spec["error"]?["message"]?.stringValue, message != error.message {
                return "message \"\(error.message)\", expected \"\(message)\""
            }
            return nil
        }
        if let expectedCode { return "result \(result?.compactString ?? "undefined"), expected error \(expectedCode)" }
        if spec["undefinedResult"]?.boolValue == true {
            return result == nil ? nil : "result \(result!.compactString), expected undefined"
        }
        guard let expected = spec["result"] else { return "case has no expectation" }
        guard let result else { return "undefined, expected \(expected.compactString)" }
        if spec["unordered"]?.boolValue == true, case .array(let a) = result, case .array(let b) = expected {
            let key: (JSONValue) -> String = { $0.canonicalString }
            if a.map(key).sorted() == b.map(key).sorted() { return nil }
        }
        return result == expected ? nil : "result \(result.compactString), expected \(expected.compactString)"
    }

    @Test func officialSuite() throws {
        guard let cases = Self.cases(), let folder = ConformanceData.directory?.appendingPathComponent("jsonata/groups") else {
            print("jsonata: skipped (conformance data absent)")
            return
        }
        var passedByGroup: [String: (passed: Int, failed: Int)] = [:]
        var failures: [String] = []
        for testCase in cases {
            let started = ContinuousClock.now
            let outcome = Self.run(testCase, groupsFolder: folder)
            let took = ContinuousClock.now - started
            if took > .milliseconds(300) { print("jsonata slow case \(testCase.group)/\(testCase.name): \(took)") }
            var counts = passedByGroup[testCase.group] ?? (0, 0)
            if let outcome {
                counts.failed += 1
                let expr = testCase.value["expr"]?.stringValue ?? testCase.value["expr-file"]?.stringValue ?? ""
                failures.append("  \(testCase.group)/\(testCase.name) \(expr.prefix(120)): \(outcome.prefix(300))")
            } else {
                counts.passed += 1
            }
            passedByGroup[testCase.group] = counts
        }
        for (group, counts) in passedByGroup.sorted(by: { $0.key < $1.key }) where counts.failed > 0 {
            print("jsonata \(group): \(counts.passed) passed, \(counts.failed) failed")
        }
        let passed = passedByGroup.values.reduce(0) { $0 + $1.passed }
        print("jsonata: \(passed) passed, \(cases.count - passed) failed (\(passedByGroup.count) groups)")
        for failure in failures { print(failure) }
        let floor = ConformanceData.ratchet("jsonata")
        #expect(passed >= floor, "jsonata conformance fell below the ratchet (\(passed) < \(floor))")
    }
}
