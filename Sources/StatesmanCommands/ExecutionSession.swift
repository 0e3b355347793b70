import ASLModel
import ArgumentParser
import ExecutionStore
import Foundation
import Interpreter
import JSONCore
import MapRuns
import ObjectStore
import PluginHost
import Synchronization
import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// How an execution runs: what `statesman run` was given. A Standard execution keeps it in
/// its record, so that `statesman resume` continues it the same way.
struct Launch: Equatable {
    /// The function registry (absolute path).
    var functions: String?
    /// The object store's directory (absolute path).
    var store: String
    var waitScale: Double
    var maxChildren: Int

    init(functions: String?, store: String, waitScale: Double, maxChildren: Int) {
        self.functions = functions.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        self.store = URL(fileURLWithPath: store).standardizedFileURL.path
        self.waitScale = waitScale
        self.maxChildren = maxChildren
    }

    /// The plugin host's options for functions run this way. Functions reach the object
    /// store's files the way a Lambda function reaches S3 through boto3 (examples/log-analysis
    /// reads its results through it).
    var hostOptions: PluginHost.Options {
        var options = PluginHost.Options()
        options.environment["STATESMAN_STORE"] = store
        return options
    }

    var json: JSONValue {
        var object = JSONObject()
        if let functions { object["functions"] = .string(functions) }
        object["store"] = .string(store)
        object["waitScale"] = .double(waitScale)
        object["maxChildren"] = .int(Int64(maxChildren))
        return .object(object)
    }

    init?(json: JSONValue) {
        guard let store = json["store"]?.stringValue, let waitScale = json["waitScale"]?.doubleValue,
            let maxChildren = json["maxChildren"]?.integerValue
        else { return nil }
        self.init(functions: json["functions"]?.stringValue, store: store, waitScale: waitScale, maxChildren: Int(maxChildren))
    }
}

/// A Standard execution kept in the execution store while it runs.
struct DurableExecution {
    let store: any ExecutionStore
    let record: ExecutionRecord
    let journal: StoreJournal
    /// Held while this process runs the execution.
    let lock: ExecutionLock

    /// Opens the store under `directory` (`statesman.db`), creating it when needed.
    static func openStore(directory: String) throws -> any ExecutionStore {
        try SQLiteExecutionStore(path: URL(fileURLWithPath: directory).appendingPathComponent("statesman.db").path)
    }

    /// Opens the store under `directory` for the commands that read what `run` recorded: one
    /// that is not there yet, or cannot be opened, is a usage error saying so.
    static func openExistingStore(directory: String) throws -> any ExecutionStore {
        let path = URL(fileURLWithPath: directory).appendingPathComponent("statesman.db").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("no executions have been recorded in \(directory) yet (statesman run keeps Standard executions there)")
        }
        do { return try SQLiteExecutionStore(path: path) } catch { throw ValidationError("\(error)") }
    }

    /// Records the state machine (a new version when its definition changed) and the
    /// execution as RUNNING, and takes its lock.
    static func start(
        directory: String, definition: String, options: ExecutionOptions, input: JSONValue, launch: Launch, at date: Date
    ) throws -> DurableExecution {
        let store = try openStore(directory: directory)
        let (_, version) = try store.registerStateMachine(
            arn: options.stateMachineArn, name: options.stateMachineName, type: options.type.rawValue, definition: definition, at: date)
        let record = ExecutionRecord(
            arn: options.executionArn, stateMachineArn: options.stateMachineArn, name: options.name, status: "RUNNING", startDate: date,
            input: input.compactString, version: version, launch: launch.json.compactString)
        guard let lock = try ExecutionLock.acquire(directory: directory, executionArn: record.arn) else {
            throw ExecutionStoreError("The execution \(record.arn) is being run by another process")
        }
        try store.insert(record)
        return DurableExecution(store: store, record: record, journal: StoreJournal(store: store, executionArn: record.arn, version: version), lock: lock)
    }
}

/// Holds an execution for this process: an exclusive `flock` on a file under the state
/// directory, which the kernel releases when the process ends, however it ends.
final class ExecutionLock {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    /// The lock, or nil when another process holds it.
    static func acquire(directory: String, executionArn: String) throws -> ExecutionLock? {
        let folder = URL(fileURLWithPath: directory).appendingPathComponent("locks")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // FNV-1a of the ARN: a short, stable file name.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in executionArn.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let path = folder.appendingPathComponent(String(hash, radix: 16) + ".lock").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ExecutionStoreError("cannot open the lock file \(path): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        return ExecutionLock(descriptor: descriptor)
    }
}

/// Runs one execution in this process, from its start or from a checkpoint: the plugin host,
/// the object store, the live progress display, Ctrl-C and `statesman executions stop`, and
/// the execution store for a Standard execution.
struct ExecutionSession {
    let machine: StateMachineDefinition
    let options: ExecutionOptions
    let launch: Launch
    /// The plugin host for the launch's function registry (`startHost`), if it names one.
    let host: PluginHost?
    let durable: DurableExecution?

    /// The registry `launch` names, if any; a usage error when it cannot be read or is not
    /// valid. Read before an execution is recorded (or redriven), so that a mistake in it
    /// leaves nothing behind in the execution store.
    static func loadRegistry(_ launch: Launch) throws -> FunctionRegistry? {
        guard let functions = launch.functions else { return nil }
        do {
            return try FunctionRegistry.load(path: functions)
        } catch {
            throw ValidationError("the function registry is not valid: \(error)")
        }
    }

    /// The plugin host for `registry`, with the workers of every function that keeps some warm
    /// (`minWarm`) already starting: a Python worker takes tens of milliseconds to say hello,
    /// which then pass while the execution is recorded and begins.
    static func startHost(_ registry: FunctionRegistry?, launch: Launch) -> PluginHost? {
        guard let registry else { return nil }
        let host = PluginHost(registry: registry, options: launch.hostOptions)
        for (name, function) in registry.functions where function.minimumWarm > 0 { host.warm(name) }
        return host
    }

    func run(input: JSONValue, from point: ResumePoint?) async throws -> ExecutionOutcome {
        var lambda: LambdaTaskInvoker?
        var invoker: any TaskInvoker = NoTaskInvoker()
        if let host {
            lambda = LambdaTaskInvoker(host: host, region: options.region, account: options.account)
            invoker = lambda!
        }
        let objects = LocalDirectoryStore(root: URL(fileURLWithPath: launch.store))
        invoker = S3TaskInvoker(store: objects, next: invoker)
        let display = ProgressDisplay()
        var interpreter = Interpreter(invoker: invoker, clock: SystemClock(scale: launch.waitScale), mapIO: ObjectStoreMapIO(store: objects), observer: display)
        interpreter.childrenInFlight = launch.maxChildren
        // Callback tasks wait on their tokens in the store, where `statesman tasks` answers them.
        if let durable { interpreter.callbacks = StoreTaskCallbacks(store: durable.store) }
        let drawing = Task { await display.show() }
        let machine = self.machine, options = self.options, journal = durable?.journal
        let execution = Task {
            if let point {
                return await interpreter.resume(machine, from: point, options: options, journal: journal)
            }
            return await interpreter.run(machine, input: input, options: options, journal: journal)
        }
        let interrupts = Self.abortOnInterrupt(execution)
        // `statesman executions stop` (another process) asks through the store.
        let watched = durable.map { ($0.store, $0.record.arn) }
        let stopWatch = Task { () -> StopRequest? in
            guard let (store, arn) = watched else { return nil }
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(300))
                if let request = try? store.stopRequest(for: arn) {
                    writeStandardError("statesman: the execution was asked to stop")
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
        if let lambda, case let count = lambda.eventsRunning, count > 0 {
            writeStandardError("statesman: waiting for \(count) asynchronous Lambda invocation\(count == 1 ? "" : "s") (InvocationType Event) to end")
            await lambda.waitForEvents()
        }
        await host?.shutdown()
        if let durable {
            if outcome.error == journalFailed.rawValue {
                // Nothing more can be recorded: the execution stays as last committed.
                writeStandardError(
                    "statesman: the execution store failed, so the execution stopped where it was last recorded (it stays RUNNING there): "
                        + "\(outcome.cause ?? "")\nContinue it once the store works again: statesman resume \(durable.record.arn)")
                throw ExitCode(1)
            }
            do {
                // Map Runs the journal did not keep (those of a Distributed Map nested in a
                // child execution) are kept as they ended.
                for run in display.snapshots where try durable.store.mapRun(run.mapRunArn) == nil {
                    try durable.store.save(mapRun: MapRunRecord(run))
                }
                try durable.journal.finish(durable.record, outcome: outcome, at: Date())
            } catch {
                writeStandardError("statesman: the execution's end could not be recorded: \(error)")
            }
        }
        return outcome
    }

    /// The first Ctrl-C stops the execution cleanly (a Map Run's children are aborted, and its
    /// results and manifest written, with PENDING entries); a second one quits at once.
    static func abortOnInterrupt(_ execution: Task<ExecutionOutcome, Never>) -> any DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        let interrupts = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let count = Atomic<Int>(0)
        interrupts.setEventHandler {
            if count.add(1, ordering: .relaxed).newValue == 1 {
                writeStandardError("statesman: stopping the execution (Ctrl-C again to quit at once)")
                execution.cancel()
            } else {
                Foundation.exit(130)
            }
        }
        interrupts.setCancelHandler { signal(SIGINT, SIG_DFL) }
        interrupts.resume()
        return interrupts
    }

    /// Prints the outcome: a summary, or one JSON object (`--json`), with the execution's
    /// whole history (`--history`: from the store for a Standard execution, which may have
    /// begun in an earlier process).
    func report(_ outcome: ExecutionOutcome, json: Bool, history: Bool, duration: TimeInterval) {
        let events: [JSONValue]
        if let durable, let stored = try? durable.store.history(of: durable.record.arn) {
            events = stored
        } else {
            events = outcome.events.map(\.json)
        }
        if json || history {
            var object = JSONObject()
            object["status"] = .string(outcome.status.rawValue)
            if let output = outcome.output { object["output"] = output }
            if let error = outcome.error { object["error"] = .string(error) }
            if let cause = outcome.cause { object["cause"] = .string(cause) }
            if history { object["events"] = .array(events) }
            print(JSONValue.object(object).compactString)
            return
        }
        var lines = ["\(outcome.status.rawValue) in \(String(format: "%.3f", duration)) s (\(events.count) events)"]
        if let output = outcome.output { lines.append("output: \(output.compactString)") }
        if let error = outcome.error { lines.append("error: \(error)") }
        if let cause = outcome.cause { lines.append("cause: \(cause)") }
        print(lines.joined(separator: "\n"))
    }
}

extension ExecutionOutcome {
    /// A StopExecution's error and cause, in the outcome and its `ExecutionAborted` event.
    mutating func stopped(by request: StopRequest) {
        error = request.error
        cause = request.cause
        guard let index = events.lastIndex(where: { $0.type == "ExecutionAborted" }) else { return }
        var details = JSONObject()
        if let error = request.error { details["error"] = .string(error) }
        if let cause = request.cause { details["cause"] = .string(cause) }
        events[index].details = .object(details)
    }
}
