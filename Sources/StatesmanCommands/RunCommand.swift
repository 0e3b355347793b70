import ASLModel
import ArgumentParser
import Foundation
import Interpreter
import JSONCore

/// `statesman run`: runs one execution to completion in this process.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one execution of a state machine definition.",
        discussion: """
            Exit status: 0 when the execution SUCCEEDED, 1 when it ended otherwise, 2 for usage \
            errors, an invalid definition or input that is not JSON.
            """)

    @Argument(help: "The definition file (JSON).") var definition: String

    @Option(help: "The execution input: JSON text, or @FILE (@- for standard input).")
    var input: String = "{}"

    @Flag(help: "Print one JSON object: {\"status\", \"output\"?, \"error\"?, \"cause\"?}.")
    var json = false

    @Flag(help: "Include the execution's history events (AWS-shaped) in the output.")
    var history = false

    @Option(help: "Multiply real waits (Wait states, retry back-off) by this factor; 0 skips them.")
    var waitScale: Double = 1

    @Option(help: "The state machine type, for its rules (STANDARD or EXPRESS).")
    var type: String = "STANDARD"

    @Option(help: "The execution name (default: a new UUID).")
    var name: String?

    @Option(help: "The function registry (YAML or JSON): what each Lambda function name runs.")
    var functions: String?

    @Option(help: "The object store: a directory whose sub-directories are buckets (ItemReader, ResultWriter).")
    var store: String = ".statesman/store"

    @Option(help: "Where executions are kept (a SQLite file, statesman.db, in this directory).")
    var state: String = ".statesman"

    @Option(help: "At most this many child executions of a Distributed Map run at once (AWS allows 10,000; each costs memory while it waits).")
    var maxChildren: Int = 1_000

    func run() async throws {
        guard let machineType = StateMachineType(rawValue: type.uppercased()) else {
            throw ValidationError("--type must be STANDARD or EXPRESS, not \(type)")
        }
        guard waitScale >= 0 else { throw ValidationError("--wait-scale must not be negative") }
        guard (1...10_000).contains(maxChildren) else { throw ValidationError("--max-children must be between 1 and 10000") }
        guard let data = FileManager.default.contents(atPath: definition) else {
            throw ValidationError("cannot read definition file '\(definition)'")
        }
        let (decoded, diagnostics) = DefinitionDecoder.decode(text: String(decoding: data, as: UTF8.self), type: machineType)
        guard let machine = decoded, diagnostics.isEmpty else {
            let list = diagnostics.map { "  \($0)" }.joined(separator: "\n")
            throw ValidationError("the definition \(definition) is not valid:\n\(list)")
        }
        let inputValue = try JSONArgument.read(input, option: "--input")
        guard inputValue.encodedByteCount <= Interpreter.payloadLimit else {
            throw ValidationError("--input is \(inputValue.encodedByteCount) bytes, more than the 262144 bytes (256 KiB) AWS accepts")
        }
        // `orders.asl.json` → `orders`.
        var stateMachineName = URL(fileURLWithPath: definition).lastPathComponent
        for suffix in [".json", ".yaml", ".yml", ".asl"] where stateMachineName.hasSuffix(suffix) && stateMachineName.count > suffix.count {
            stateMachineName.removeLast(suffix.count)
        }
        let options = ExecutionOptions(name: name ?? RandomUUID.string(), stateMachineName: stateMachineName, type: machineType)
        let launch = Launch(functions: functions, store: store, waitScale: waitScale, maxChildren: maxChildren)
        let host = ExecutionSession.startHost(try ExecutionSession.loadRegistry(launch), launch: launch)
        // Standard executions are kept in the execution store, durably: the ARN is printed as
        // they start, and `statesman resume ARN` continues one that was interrupted.
        var durable: DurableExecution?
        if machineType == .standard {
            do {
                durable = try DurableExecution.start(
                    directory: state, definition: String(decoding: data, as: UTF8.self), options: options, input: inputValue, launch: launch, at: Date())
            } catch {
                await host?.shutdown()
                throw ValidationError("the execution cannot be recorded in \(state): \(error)")
            }
            writeStandardError("execution: \(options.executionArn)")
        }
        let started = Date()
        let session = ExecutionSession(machine: machine, options: options, launch: launch, host: host, durable: durable)
        let outcome = try await session.run(input: inputValue, from: nil)
        session.report(outcome, json: json, history: history, duration: Date().timeIntervalSince(started))
        if outcome.status != .succeeded { throw ExitCode(1) }
    }
}
