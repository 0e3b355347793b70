import ArgumentParser
import ExecutionStore
import Foundation
import JSONCore

/// `statesman tasks send-success|send-failure|send-heartbeat`: answers the task token of a
/// callback task (`.waitForTaskToken`), as SendTaskSuccess, SendTaskFailure and
/// SendTaskHeartbeat do. The `statesman run` whose task waits on the token sees the answer.
struct TasksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks", abstract: "Answer the task token of a task that waits for a callback (.waitForTaskToken).",
        subcommands: [SendSuccess.self, SendFailure.self, SendHeartbeat.self])

    struct TokenOptions: ParsableArguments {
        @Argument(help: "The task token ($$.Task.Token of the waiting task).") var token: String
        @Option(help: "Where executions are kept (statesman.db in this directory).") var state: String = ".statesman"

        /// Runs a SendTask* call, turning AWS's refusals into a clear error.
        func send(_ body: (any ExecutionStore) throws -> Void) throws {
            let store = try DurableExecution.openExistingStore(directory: state)
            do { try body(store) } catch let refused as ServiceError { throw ValidationError("\(refused)") }
        }
    }

    struct SendSuccess: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The task succeeded with this output (SendTaskSuccess).")
        @OptionGroup var token: TokenOptions
        @Option(help: "The task's output: JSON text, or @FILE (@- for standard input).") var output: String

        func run() throws {
            let value = try JSONArgument.read(output, option: "--output")
            guard value.encodedByteCount <= 262_144 else { throw ValidationError("--output is more than the 262144 bytes (256 KiB) AWS accepts") }
            try token.send { try $0.complete(taskToken: token.token, output: value.compactString, error: nil, cause: nil, at: Date()) }
        }
    }

    struct SendFailure: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The task failed with this error and cause (SendTaskFailure).")
        @OptionGroup var token: TokenOptions
        @Option(help: "The error name (Retry and Catch match it).") var error: String?
        @Option(help: "The cause.") var cause: String?

        func run() throws {
            try token.send { try $0.complete(taskToken: token.token, output: nil, error: error, cause: cause, at: Date()) }
        }
    }

    struct SendHeartbeat: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The task is still working: its HeartbeatSeconds start again (SendTaskHeartbeat).")
        @OptionGroup var token: TokenOptions

        func run() throws {
            try token.send { try $0.heartbeat(taskToken: token.token, at: Date()) }
        }
    }
}
