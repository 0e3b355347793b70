// Statesman's benchmarks, each side by side with its baselines in one run.
// Run through bench/run (release build); never as a timed test.
import Foundation
import JSONCore

let arguments = CommandLine.arguments.dropFirst()
let megabytes = arguments.firstIndex(of: "--mb").flatMap { Int(arguments[$0 + 1]) } ?? 50
let repeats = arguments.firstIndex(of: "--repeat").flatMap { Int(arguments[$0 + 1]) } ?? 3

JSONBenchmark(targetBytes: megabytes * 1_000_000, repeats: repeats).run()
