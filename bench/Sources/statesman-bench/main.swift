// Statesman's benchmarks, each side by side with its baselines in one run.
// Run through bench/run (release build); never as a timed test.
//   statesman-bench json [--mb N] [--repeat N]
//   statesman-bench readers --store DIR --key KEY --format JSONL|CSV [--repeat N]
//   statesman-bench interpreter [--data DIR] [--repeat N]
//   statesman-bench jsonata --workload FILE [--count N] [--seconds S]
//   statesman-bench plugins --items N --workers N --pipeline N|auto (--python MODULE.FUNCTION --code DIR | -- COMMAND...)
import Foundation
import JSONCore

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? { arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } }
let repeats = option("--repeat").flatMap(Int.init) ?? 3

switch arguments.first {
case "plugins":
    let command = arguments.firstIndex(of: "--").map { Array(arguments[($0 + 1)...]) } ?? []
    await PluginBenchmark(
        items: option("--items").flatMap(Int.init) ?? 100_000, workers: option("--workers").flatMap(Int.init) ?? 2,
        pipeline: option("--pipeline") == "auto" ? nil : option("--pipeline").flatMap(Int.init) ?? 0, command: command, runtime: option("--python") == nil ? .command : .python,
        handler: option("--python"), directory: option("--code") ?? FileManager.default.currentDirectoryPath,
        callers: option("--callers").flatMap(Int.init)
    ).run()
case "readers":
    do {
        try ReaderBenchmark(root: option("--store") ?? "", key: option("--key") ?? "", format: option("--format") ?? "JSONL", repeats: repeats).run()
    } catch {
        FileHandle.standardError.write(Data("reader benchmark: \(error)\n".utf8))
        exit(1)
    }
case "jsonata":
    do {
        try JSONataBenchmark(
            workload: option("--workload") ?? "bench/jsonata/workload.json", count: option("--count").flatMap(Int.init) ?? 100_000,
            seconds: option("--seconds").flatMap(Double.init) ?? 10
        ).run()
    } catch {
        FileHandle.standardError.write(Data("jsonata benchmark: \(error)\n".utf8))
        exit(1)
    }
case "interpreter":
    await InterpreterBenchmark(directory: option("--data") ?? "bench/data", repeats: repeats, only: option("--only")).run()
default:
    JSONBenchmark(targetBytes: (option("--mb").flatMap(Int.init) ?? 50) * 1_000_000, repeats: repeats).run()
}
