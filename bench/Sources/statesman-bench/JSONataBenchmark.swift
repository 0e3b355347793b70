import Foundation
import JSONCore
import JSONata

/// Statesman's side of `bench/jsonata/run.sh`: each expression of the workload compiled once,
/// then evaluated with `$states` bound, up to `count` times or `seconds` seconds. Prints one
/// JSON line per expression, as the Python baseline does.
struct JSONataBenchmark {
    let workload: String
    let count: Int
    let seconds: Double

    func run() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: workload))
        let document = try JSONValue(parsing: data)
        guard let input = document["input"], case .array(let cases)? = document["expressions"] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        var bindings = JSONataBindings()
        bindings.bind("states", members: [("input", input)])
        for testCase in cases {
            guard let name = testCase["name"]?.stringValue, let text = testCase["expression"]?.stringValue else { continue }
            let expression = try JSONataExpression(text)
            let result = try expression.evaluate(input: nil, bindings: bindings)
            var done = 0
            let start = ContinuousClock.now
            let budget = Duration.milliseconds(Int(seconds * 1000))
            while done < count {
                _ = try expression.evaluate(input: nil, bindings: bindings)
                done += 1
                if done % 100 == 0, ContinuousClock.now - start > budget { break }
            }
            let elapsed = ContinuousClock.now - start
            let line: JSONValue = [
                "engine": "statesman", "name": .string(name), "evaluations": .int(Int64(done)),
                "seconds": .double(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18),
                "result": result ?? .null,
            ]
            print(line.compactString)
        }
    }
}
