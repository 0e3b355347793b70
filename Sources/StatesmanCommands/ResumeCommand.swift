import ASLModel
import ArgumentParser
import ExecutionStore
import Foundation
import Interpreter
import JSONCore
import Workflow

/// `statesman resume ARN`: continues a Standard execution whose process was interrupted.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue an interrupted Standard execution from its last recorded state.",
        discussion: """
            A Standard execution is recorded as it runs. When its process was killed (or the \
            machine lost power), this continues it: the state it was in runs again (a Task is \
            invoked again; a Wait waits only what remained; a Distributed Map runs only the \
            children not yet completed, and its results hold each item once). It runs with the \
            function registry, object store and settings it was started with, unless given here. \
            Exit status as for run.
            """)

    @Argument(help: "The execution's ARN or name.") var execution: String
    @OptionGroup var settings: ContinueOptions

    func run() async throws {
        try await settings.continueExecution(execution, redrive: false)
    }
}

/// What `resume` and `executions redrive` are given: where the store is, settings that replace
/// those the execution started with, and how to print the outcome.
struct ContinueOptions: ParsableArguments {
    @Option(help: "Where executions are kept (statesman.db in this directory).")
    var state: String = ".statesman"

    @Option(help: "Use this function registry instead of the one the execution started with.")
    var functions: String?

    @Option(help: "Use this object store directory instead of the one the execution started with.")
    var store: String?

    @Option(help: "Multiply real waits by this factor instead of the one the execution started with.")
    var waitScale: Double?

    @Option(help: "Run at most this many child executions of a Distributed Map at once.")
    var maxChildren: Int?

    @Flag(help: "Print one JSON object: {\"status\", \"output\"?, \"error\"?, \"cause\"?}.")
    var json = false

    @Flag(help: "Include the execution's whole history (AWS-shaped) in the output.")
    var history = false

    /// Runs a recorded execution on in this process: continued where it was interrupted, or
    /// redriven from the state that failed.
    func continueExecution(_ execution: String, redrive: Bool) async throws {
        let executions = try DurableExecution.openExistingStore(directory: state)
        guard var record = try executions.execution(execution) ?? executions.executions(stateMachineArn: nil, status: nil).first(where: { $0.name == execution })
        else {
            throw ValidationError("there is no execution \(execution) in \(state)")
        }
        guard record.mapRunArn == nil else {
            throw ValidationError("\(record.arn) is a child execution of a Map Run: \(redrive ? "redrive" : "resume") the execution that started the run")
        }
        guard redrive || record.status == "RUNNING" else {
            throw ValidationError(
                "the execution \(record.arn) is \(record.status): only a RUNNING execution whose process was interrupted can be resumed"
                    + (record.notRedrivableReason == nil ? " (it can be redriven: statesman executions redrive)" : ""))
        }
        guard let lock = try ExecutionLock.acquire(directory: state, executionArn: record.arn) else {
            throw ValidationError("the execution \(record.arn) is being run by another process")
        }
        guard let machineRecord = try executions.stateMachines().first(where: { $0.arn == record.stateMachineArn }),
            let definition = try executions.versions(of: record.stateMachineArn).first(where: { $0.version == record.version }),
            let type = StateMachineType(rawValue: machineRecord.type)
        else {
            throw ValidationError("the definition that \(record.arn) ran (version \(record.version)) is missing from \(state)")
        }
        let (decoded, diagnostics) = DefinitionDecoder.decode(text: definition.definition, type: type)
        guard let machine = decoded, diagnostics.isEmpty else {
            throw ValidationError("the recorded definition of \(record.arn) is not valid:\n" + diagnostics.map { "  \($0)" }.joined(separator: "\n"))
        }
        guard let recorded = record.launch.flatMap({ try? JSONValue(parsing: $0) }).flatMap(Launch.init(json:)) else {
            throw ValidationError("the execution \(record.arn) was started without the settings needed to run it again")
        }
        let launch = Launch(
            functions: functions ?? recorded.functions, store: store ?? recorded.store, waitScale: waitScale ?? recorded.waitScale,
            maxChildren: maxChildren ?? recorded.maxChildren)
        guard (1...10_000).contains(launch.maxChildren) else { throw ValidationError("--max-children must be between 1 and 10000") }
        var options = ExecutionOptions(name: record.name, stateMachineName: machineRecord.name, type: type)
        guard options.executionArn == record.arn else { throw ValidationError("the execution \(record.arn) was not started by statesman run") }
        let registry = try ExecutionSession.loadRegistry(launch)
        if redrive {
            do { record = try executions.redrive(record.arn, at: Date()) } catch let refused as ServiceError {
                throw ValidationError("\(refused)")
            }
        }
        options.redriveCount = record.redriveCount
        options.redriveTime = record.redriveDate
        let input = try JSONValue(parsing: record.input)
        let committed = try executions.history(of: record.arn).count
        var point: ResumePoint?
        if let checkpoint = try executions.checkpoint(of: record.arn) {
            var succeeded: [Int: JSONValue]?
            if redrive {
                succeeded = [:]
                for member in try checkpoint.succeeded.map({ try JSONValue(parsing: $0) })?.objectValue?.members ?? [] {
                    if let index = Int(member.key) { succeeded?[index] = member.value }
                }
            }
            point = ResumePoint(
                input: input, startTime: record.startDate, committedEvents: committed,
                checkpoint: ExecutionCheckpoint(
                    stateName: checkpoint.stateName, input: try JSONValue(parsing: checkpoint.input),
                    variables: try JSONValue(parsing: checkpoint.variables).objectValue ?? JSONObject(), enteredEventId: checkpoint.enteredEventId,
                    entered: checkpoint.entered),
                redrive: succeeded)
            writeStandardError("statesman: \(redrive ? "redriving" : "resuming") \(record.arn) \(redrive ? "from" : "in") state \(checkpoint.stateName)")
        } else {
            // Interrupted before its first state was recorded: it starts again.
            guard committed == (redrive ? 1 : 0) else { throw ValidationError("the execution \(record.arn) has history events but no checkpoint") }
            writeStandardError("statesman: restarting \(record.arn) from its first state")
        }
        let durable = DurableExecution(
            store: executions, record: record, journal: StoreJournal(store: executions, executionArn: record.arn, version: record.version, committedEvents: committed),
            lock: lock)
        let started = Date()
        let host = ExecutionSession.startHost(registry, launch: launch)
        let session = ExecutionSession(machine: machine, options: options, launch: launch, host: host, durable: durable)
        let outcome = try await session.run(input: input, from: point)
        session.report(outcome, json: json, history: history, duration: Date().timeIntervalSince(started))
        if outcome.status != .succeeded { throw ExitCode(1) }
    }
}
