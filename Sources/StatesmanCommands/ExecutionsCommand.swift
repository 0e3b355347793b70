import ArgumentParser
import ExecutionStore
import Foundation
import JSONCore

/// Where the execution store is, for the commands that read it.
struct StoreOptions: ParsableArguments {
    @Option(help: "Where executions are kept (statesman.db in this directory).")
    var state: String = ".statesman"

    @Flag(help: "Print JSON (AWS's response shapes) instead of a table.")
    var json = false

    func open() throws -> any ExecutionStore {
        try DurableExecution.openExistingStore(directory: state)
    }
}

/// `statesman executions list|describe|history`.
struct ExecutionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "executions", abstract: "List and inspect recorded executions.",
        subcommands: [List.self, Describe.self, History.self, Stop.self, Redrive.self])

    struct Redrive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Redrive a FAILED, TIMED_OUT or ABORTED Standard execution (RedriveExecution), running it here.",
            discussion: """
                It runs again from the state that failed, with the same input and ARN; what \
                succeeded before is kept (a Parallel's or inline Map's branches and iterations \
                that succeeded, a Distributed Map's children that succeeded: only failed and \
                pending items run again). The history goes on with ExecutionRedriven, and \
                $$.Execution.RedriveCount and RedriveTime tell the states. Exit status as for run; \
                2 when the execution cannot be redriven (ExecutionNotRedrivable).
                """)
        @Argument(help: "The execution's ARN or name.") var execution: String
        @OptionGroup var settings: ContinueOptions

        func run() async throws {
            try await settings.continueExecution(execution, redrive: true)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List executions, newest first.")
        @OptionGroup var store: StoreOptions
        @Option(name: .customLong("state-machine"), help: "Only this state machine's (its name or ARN).") var stateMachine: String?
        @Option(help: "Only executions with this status (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED).") var status: String?
        @Option(name: .customLong("map-run"), help: "Only the child executions of this Map Run (its ARN).") var mapRun: String?

        func run() throws {
            let opened = try store.open()
            var machineArn: String?
            if let stateMachine {
                machineArn = try opened.stateMachines().first { $0.arn == stateMachine || $0.name == stateMachine }?.arn
                guard machineArn != nil else { throw ValidationError("no state machine named \(stateMachine) has run here") }
            }
            var executions: [ExecutionRecord]
            if let mapRun {
                executions = try opened.children(of: mapRun).filter { status == nil || $0.status == status?.uppercased() }
            } else {
                executions = try opened.executions(stateMachineArn: machineArn, status: status?.uppercased())
            }
            if store.json {
                let items: [JSONValue] = executions.map { execution in
                    var item = execution.json.objectValue ?? JSONObject()
                    item["input"] = nil
                    item["output"] = nil
                    return .object(item)
                }
                print(JSONValue.object(["executions": .array(items)]).compactString)
                return
            }
            printTable(
                ["NAME", "STATUS", "STARTED", "DURATION", "STATE MACHINE"],
                executions.map { [$0.name, $0.status, Self.time($0.startDate), Self.duration($0), $0.stateMachineArn.split(separator: ":").last.map(String.init) ?? ""] })
        }

        static func time(_ date: Date) -> String {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime]
            return formatter.string(from: date)
        }

        static func duration(_ execution: ExecutionRecord) -> String {
            guard let stop = execution.stopDate else { return "-" }
            return String(format: "%.3f s", stop.timeIntervalSince(execution.startDate))
        }
    }

    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one execution (DescribeExecution).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The execution's ARN (or its name).") var execution: String

        func run() throws {
            let record = try ExecutionsCommand.find(execution, in: store.open())
            if store.json {
                print(record.json.compactString)
                return
            }
            var rows = [["ARN", record.arn], ["STATUS", record.status], ["STARTED", List.time(record.startDate)], ["DURATION", List.duration(record)]]
            rows.append(["INPUT", record.input])
            if let output = record.output { rows.append(["OUTPUT", output]) }
            if let error = record.error { rows.append(["ERROR", error]) }
            if let cause = record.cause { rows.append(["CAUSE", cause]) }
            printTable(["FIELD", "VALUE"], rows)
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an execution's history events (GetExecutionHistory).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The execution's ARN (or its name).") var execution: String

        func run() throws {
            let opened = try store.open()
            let record = try ExecutionsCommand.find(execution, in: opened)
            let events = try opened.history(of: record.arn)
            if store.json {
                print(JSONValue.object(["events": .array(events)]).compactString)
                return
            }
            printTable(
                ["ID", "TYPE", "STATE", "TIME"],
                events.map { event in
                    let details = event.objectValue?.members.first { $0.key.hasSuffix("EventDetails") }?.value
                    return [event["id"]?.compactString ?? "", event["type"]?.stringValue ?? "", details?["name"]?.stringValue ?? "", event["timestamp"]?.stringValue ?? ""]
                })
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop a running execution (StopExecution): the statesman run that runs it aborts it.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The execution's ARN (or its name).") var execution: String
        @Option(help: "The error recorded in the ExecutionAborted event.") var error: String?
        @Option(help: "The cause recorded in the ExecutionAborted event.") var cause: String?

        func run() throws {
            let opened = try store.open()
            let record = try ExecutionsCommand.find(execution, in: opened)
            let now = Date()
            do { try opened.requestStop(of: record.arn, error: error, cause: cause, at: now) } catch { throw ValidationError("\(error)") }
            print(JSONValue.object(["stopDate": .double(now.timeIntervalSince1970)]).compactString)
        }
    }

    /// An execution by ARN, or by name when the name is unique.
    static func find(_ reference: String, in store: any ExecutionStore) throws -> ExecutionRecord {
        if let record = try store.execution(reference) { return record }
        let named = try store.executions(stateMachineArn: nil, status: nil).filter { $0.name == reference }
        guard named.count == 1 else {
            throw ValidationError(named.isEmpty ? "no execution \(reference) has been recorded" : "several executions are named \(reference): give the ARN")
        }
        return named[0]
    }
}

/// `statesman map-runs list|describe`.
struct MapRunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map-runs", abstract: "List and inspect Distributed Map runs.", subcommands: [List.self, Describe.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List Map Runs, newest first (ListMapRuns).")
        @OptionGroup var store: StoreOptions
        @Option(help: "Only this execution's (its ARN or name).") var execution: String?

        func run() throws {
            let opened = try store.open()
            let executionArn = try execution.map { try ExecutionsCommand.find($0, in: opened).arn }
            let runs = try opened.mapRuns(executionArn: executionArn)
            if store.json {
                print(
                    JSONValue.object([
                        "mapRuns": .array(
                            runs.map { run in
                                var item: JSONObject = ["executionArn": .string(run.executionArn), "mapRunArn": .string(run.arn)]
                                item["startDate"] = .double(run.startDate.timeIntervalSince1970)
                                if let stop = run.stopDate { item["stopDate"] = .double(stop.timeIntervalSince1970) }
                                return .object(item)
                            })
                    ]).compactString)
                return
            }
            printTable(
                ["MAP RUN", "STATUS", "SUCCEEDED", "FAILED", "TOTAL"],
                runs.map { run in
                    let items = run.description["itemCounts"]
                    return [
                        run.arn.split(separator: ":").suffix(2).joined(separator: ":"), run.status, items?["succeeded"]?.compactString ?? "",
                        items?["failed"]?.compactString ?? "", items?["total"]?.compactString ?? "",
                    ]
                })
        }
    }

    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one Map Run (DescribeMapRun).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The Map Run's ARN.") var mapRun: String

        func run() throws {
            guard let run = try store.open().mapRun(mapRun) else { throw ValidationError("no Map Run \(mapRun) has been recorded") }
            if store.json {
                print(run.description.compactString)
                return
            }
            var rows = [["ARN", run.arn], ["EXECUTION", run.executionArn], ["STATUS", run.status]]
            for kind in ["itemCounts", "executionCounts"] {
                let counts = run.description[kind]?.objectValue?.members.map { "\($0.key) \($0.value.compactString)" }.joined(separator: ", ") ?? ""
                rows.append([kind, counts])
            }
            printTable(["FIELD", "VALUE"], rows)
        }
    }
}

/// A plain text table: columns as wide as their widest cell.
func printTable(_ header: [String], _ rows: [[String]]) {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
    for row in all {
        let cells = row.enumerated().map { column, cell in
            column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
        }
        print(cells.joined(separator: "  "))
    }
}
