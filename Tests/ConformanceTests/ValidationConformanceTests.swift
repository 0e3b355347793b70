import ASLModel
import JSONCore
import Testing

/// Runs `conformance/validation/`: every `invalid/` definition must be rejected with at least
/// one diagnostic, every `valid/` one accepted. Cases where Statesman follows AWS against the
/// corpus are listed in docs/compatibility.md.
@Suite struct ValidationConformanceTests {
    /// Express-only rules: these cases come from AWS's tests of Express machines.
    static func machineType(_ id: String) -> StateMachineType { id.contains("express") ? .express : .standard }

    @Test func corpus() {
        guard let valid = ConformanceData.loadFolder("validation/valid"), let invalid = ConformanceData.loadFolder("validation/invalid") else {
            print("validation: skipped (conformance data absent)")
            return
        }
        var counts: [String: (passed: Int, total: Int)] = [:]
        var failures: [String] = []
        for (expectValid, cases) in [(true, valid), (false, invalid)] {
            for (_, testCase) in cases {
                let id = testCase["id"]?.stringValue ?? "?"
                let origin = (expectValid ? "valid/" : "invalid/") + String(id.prefix { $0 != "_" })
                let text = testCase["definition_text"]?.stringValue ?? testCase["definition"]?.compactString ?? ""
                let diagnostics = DefinitionDecoder.decode(text: text, type: Self.machineType(id)).diagnostics
                let passed = expectValid == diagnostics.isEmpty
                counts[origin, default: (0, 0)].total += 1
                if passed {
                    counts[origin, default: (0, 0)].passed += 1
                } else {
                    failures.append("\(expectValid ? "valid" : "invalid") \(id): " + (expectValid ? diagnostics.map(\.description).joined(separator: "; ") : "accepted (\(testCase["rule"]?.stringValue ?? ""))"))
                }
            }
        }
        let passed = counts.values.reduce(0) { $0 + $1.passed }, total = counts.values.reduce(0) { $0 + $1.total }
        for (origin, count) in counts.sorted(by: { $0.key < $1.key }) {
            print("validation \(origin): \(count.passed) passed, \(count.total - count.passed) failed")
        }
        print("validation: \(passed) passed, \(total - passed) failed")
        for failure in failures.sorted() { print("  " + failure) }
        #expect(passed >= ConformanceData.ratchet("validation"))
    }
}
