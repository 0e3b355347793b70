import Foundation
import JSONCore
import Testing
import TestSupport

/// examples/big-data: the CSV and the JSONL form of the same rows give the same totals, and
/// they equal the totals added up here, directly from the generated rows.
@Suite struct BigDataExampleTests {
    @Test func bothFormatsGiveTheTotalsOfTheRows() throws {
        let example = ExampleTests.root.appendingPathComponent("examples/big-data")
        let store = TestFiles.path("sales")
        defer { try? FileManager.default.removeItem(at: store) }
        try ExampleTests.python([example.appendingPathComponent("generate.py").path, "--store", store.path, "--rows", "3000"])

        // The expected totals by region and product, in cents, from the JSONL rows.
        var expected: [String: (orders: Int, quantity: Int, cents: Int)] = [:]
        let lines = try String(contentsOf: store.appendingPathComponent("sales/sales.jsonl"), encoding: .utf8).split(separator: "\n")
        for line in lines {
            let row = try JSONValue(parsing: String(line))
            let key = "\(row["region"]!.stringValue!)|\(row["product"]!.stringValue!)"
            let parts = row["amount"]!.stringValue!.split(separator: ".")
            var total = expected[key] ?? (0, 0, 0)
            total.orders += 1
            total.quantity += Int(row["quantity"]!.stringValue!)!
            total.cents += Int(parts[0])! * 100 + Int(parts[1])!
            expected[key] = total
        }

        let definition = example.appendingPathComponent("big-data.asl.json").path
        #expect(try StatesmanProcess.run(["validate", definition]).status == 0)
        var outputs: [JSONValue] = []
        for format in ["CSV", "JSONL"] {
            let run = try StatesmanProcess.run([
                "run", definition, "--functions", example.appendingPathComponent("functions.yaml").path, "--store", store.path,
                "--input", #"{"bucket": "sales", "format": "\#(format)", "groupBy": ["region", "product"]}"#, "--json",
            ])
            #expect(run.status == 0, "\(format): \(run.stdout)\n\(run.stderr)")
            outputs.append(try #require(run.json?["output"]))
        }
        #expect(outputs[0] == outputs[1])
        let totals = try #require(outputs[0]["totals"]?.arrayValue)
        #expect(outputs[0]["rows"] == 3000)
        #expect(outputs[0]["batches"] == 6)
        #expect(totals.count == expected.count)
        for total in totals {
            let key = try #require(total["key"]?.stringValue)
            let want = try #require(expected[key])
            #expect(total["orders"]?.integerValue == Int64(want.orders), "\(key)")
            #expect(total["quantity"]?.integerValue == Int64(want.quantity), "\(key)")
            #expect(total["amount"]?.stringValue == String(format: "%d.%02d", want.cents / 100, want.cents % 100), "\(key)")
        }
        // Largest amount first; the CSV the shell step made is in the store.
        let amounts = totals.compactMap { $0["amount"]?.stringValue.flatMap(Double.init) }
        #expect(amounts == amounts.sorted(by: >))
        let csv = try String(contentsOf: store.appendingPathComponent("sales/totals/region.csv"), encoding: .utf8)
        #expect(csv.split(separator: "\n").count == totals.count + 1)
        #expect(csv.hasPrefix("key,orders,quantity,amount\n"))
    }
}
