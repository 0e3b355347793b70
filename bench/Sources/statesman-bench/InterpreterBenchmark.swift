import ASLModel
import Foundation
import Interpreter
import JSONCore

/// Runs the interpreter workloads written by bench/workloads.py in-process, without
/// persistence, and prints state transitions per second for each (the median of `repeats`
/// executions), as JSON lines that bench/run puts beside the peers' figures.
struct InterpreterBenchmark {
    let directory: String
    let repeats: Int
    var only: String? = nil
    static let workloads = ["pass-chain", "inline-map", "choice-loop"]

    func run() async {
        for name in Self.workloads where only == nil || only == name {
            let base = (directory as NSString).appendingPathComponent(name)
            guard let definitionText = try? String(contentsOfFile: base + ".asl.json", encoding: .utf8),
                let inputText = try? String(contentsOfFile: base + ".input.json", encoding: .utf8),
                let transitions = (try? String(contentsOfFile: base + ".transitions", encoding: .utf8)).flatMap({ Int($0) }),
                let definition = DefinitionDecoder.decode(text: definitionText).definition,
                let input = try? JSONValue(parsing: inputText)
            else {
                print("{\"workload\": \"\(name)\", \"error\": \"missing or invalid workload files in \(directory); run bench/workloads.py\"}")
                continue
            }
            var options = ExecutionOptions(name: "bench")
            options.maximumEvents = .max  // a 10,000-item inline Map records 40,000 events
            // Real time, as `statesman run --wait-scale 0` (the workloads do not wait).
            let interpreter = Interpreter(clock: SystemClock(scale: 0))
            var seconds: [Double] = []
            var status = ""
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                let outcome = await interpreter.run(definition, input: input, options: options)
                seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                status = outcome.status.rawValue
            }
            let median = seconds.sorted()[seconds.count / 2]
            print("{\"engine\": \"statesman\", \"workload\": \"\(name)\", \"status\": \"\(status)\", \"transitions\": \(transitions), \"seconds\": \(median), \"transitions_per_second\": \(Double(transitions) / median)}")
        }
    }
}
