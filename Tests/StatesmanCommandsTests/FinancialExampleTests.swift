import Foundation
import JSONCore
import Testing
import TestSupport

/// examples/financial: the screening tolerates the corrupt batch, retries the busy sanctions
/// service, marks the batches it never answered for as unchecked, and queues each suspicious
/// batch for review as an object in the store.
@Suite struct FinancialExampleTests {
    @Test func screeningRetriesToleratesAndQueues() throws {
        let example = ExampleTests.root.appendingPathComponent("examples/financial")
        let store = TestFiles.path("payments")
        defer { try? FileManager.default.removeItem(at: store) }
        try ExampleTests.python([example.appendingPathComponent("generate.py").path, "--store", store.path, "--transactions", "4000"])

        let definition = example.appendingPathComponent("financial.asl.json").path
        #expect(try StatesmanProcess.run(["validate", definition]).status == 0)
        let run = try StatesmanProcess.run([
            "run", definition, "--functions", example.appendingPathComponent("functions.yaml").path, "--store", store.path,
            "--input", #"{"bucket": "payments", "threshold": 50}"#, "--json", "--wait-scale", "0",
        ])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let summary = try #require(run.json?["output"])
        let expected = try JSONValue(parsing: Data(contentsOf: example.appendingPathComponent("expected-summary.json")))
        #expect(summary == expected)

        // Independently of the golden file: the batches with a corrupt amount failed, the
        // rest were screened; the sanctions service never answered for batches 5, 12, 19.
        let lines = try String(contentsOf: store.appendingPathComponent("payments/transactions.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4000)
        var corruptBatches = Set<Int>()
        for (index, line) in lines.enumerated() where try JSONValue(parsing: String(line))["amount"]?.stringValue != nil {
            corruptBatches.insert(index / 200)
        }
        #expect(summary["failedBatches"]?.integerValue == Int64(corruptBatches.count))
        #expect(summary["transactions"]?.integerValue == Int64(4000 - 200 * corruptBatches.count))
        let neverAnswered = (0..<20).filter { $0 % 7 == 5 && !corruptBatches.contains($0) }
        #expect(summary["unchecked"]?.integerValue == Int64(neverAnswered.count))
        let reviews = try FileManager.default.contentsOfDirectory(atPath: store.appendingPathComponent("payments/review").path)
        #expect(reviews.count == summary["queuedForReview"]?.integerValue.map(Int.init))
    }
}
