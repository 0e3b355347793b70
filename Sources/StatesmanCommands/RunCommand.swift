import ASLModel
import ExecutionStore
import ArgumentParser
import Foundation
import Interpreter
import JSONCore
import MapRuns
import ObjectStore
import PluginHost
import Synchronization
import Workflow

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
        // Standard executions are kept in the execution store; the ARN is printed as they start.
        var recorder: ExecutionRecorder?
        var record: ExecutionRecord?
        if machineType == .standard {
            do {
                let opened = try ExecutionRecorder.open(directory: state)
                record = try opened.start(definition: String(decoding: data, as: UTF8.self), options: options, input: inputValue, at: Date())
                recorder = opened
            } catch {
                throw ValidationError("the execution cannot be recorded in \(state): \(error)")
            }
            FileHandle.standardError.write(Data("execution: \(options.executionArn)\n".utf8))
        }
        var host: PluginHost?
        var invoker: any TaskInvoker = NoTaskInvoker()
        if let functions {
            let registry: FunctionRegistry
            do {
                registry = try FunctionRegistry.load(path: functions)
            } catch {
                throw ValidationError("the function registry is not valid: \(error)")
            }
            var hostOptions = PluginHost.Options()
            // Functions reach the object store's files the way a Lambda function reaches S3
            // through boto3: examples/log-analysis reads its results through it.
            hostOptions.environment["STATESMAN_STORE"] = URL(fileURLWithPath: store).standardizedFileURL.path
            let plugins = PluginHost(registry: registry, options: hostOptions)
            host = plugins
            invoker = LambdaTaskInvoker(host: plugins, registry: registry, region: options.region, account: options.account)
        }
        let objects = LocalDirectoryStore(root: URL(fileURLWithPath: store))
        invoker = S3TaskInvoker(store: objects, next: invoker)
        let display = ProgressDisplay()
        let observer = RunObserver(display: display, store: recorder?.store, version: record?.version ?? 1)
        var interpreter = Interpreter(invoker: invoker, clock: SystemClock(scale: waitScale), mapIO: ObjectStoreMapIO(store: objects), observer: observer)
        interpreter.childrenInFlight = maxChildren
        let started = Date()
        let drawing = Task { await display.show() }
        let execution = Task { await interpreter.run(machine, input: inputValue, options: options) }
        let interrupts = Self.abortOnInterrupt(execution)
        // `statesman executions stop` (another process) asks through the store.
        let watched = recorder.flatMap { recorder in record.map { (recorder.store, $0.arn) } }
        let stopWatch = Task { () -> StopRequest? in
            guard let (store, arn) = watched else { return nil }
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(300))
                if let request = try? store.stopRequest(for: arn) {
                    FileHandle.standardError.write(Data("statesman: the execution was asked to stop\n".utf8))
                    execution.cancel()
                    return request
                }
            }
            return nil
        }
        var outcome = await execution.value
        stopWatch.cancel()
        if let request = await stopWatch.value, outcome.status == .aborted {
            outcome.stopped(by: request)
        }
        interrupts.cancel()
        drawing.cancel()
        await drawing.value
        await host?.shutdown()
        observer.flush()
        if let recorder, let record {
            do {
                try recorder.finish(record, outcome: outcome, mapRuns: display.snapshots, at: Date())
            } catch {
                FileHandle.standardError.write(Data("statesman: the execution's end could not be recorded in \(state): \(error)\n".utf8))
            }
        }
        if json || history {
            var object = JSONObject()
            object["status"] = .string(outcome.status.rawValue)
            if let output = outcome.output { object["output"] = output }
            if let error = outcome.error { object["error"] = .string(error) }
            if let cause = outcome.cause { object["cause"] = .string(cause) }
            if history { object["events"] = .array(outcome.events.map(\.json)) }
            print(JSONValue.object(object).compactString)
        } else {
            print(Self.summary(outcome, duration: Date().timeIntervalSince(started)))
        }
        if outcome.status != .succeeded { throw ExitCode(1) }
    }

    /// The first Ctrl-C stops the execution cleanly (a Map Run's children are aborted, and its
    /// results and manifest written, with PENDING entries); a second one quits at once.
    static func abortOnInterrupt(_ execution: Task<ExecutionOutcome, Never>) -> any DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        let interrupts = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let count = Atomic<Int>(0)
        interrupts.setEventHandler {
            if count.add(1, ordering: .relaxed).newValue == 1 {
                FileHandle.standardError.write(Data("statesman: stopping the execution (Ctrl-C again to quit at once)\n".utf8))
                execution.cancel()
            } else {
                Foundation.exit(130)
            }
        }
        interrupts.setCancelHandler { signal(SIGINT, SIG_DFL) }
        interrupts.resume()
        return interrupts
    }

    static func summary(_ outcome: ExecutionOutcome, duration: TimeInterval) -> String {
        var lines = ["\(outcome.status.rawValue) in \(String(format: "%.3f", duration)) s (\(outcome.events.count) events)"]
        if let output = outcome.output { lines.append("output: \(output.compactString)") }
        if let error = outcome.error { lines.append("error: \(error)") }
        if let cause = outcome.cause { lines.append("cause: \(cause)") }
        return lines.joined(separator: "\n")
    }
}
