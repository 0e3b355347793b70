import ASLErrors
import ArgumentParser
import Foundation
import JSONCore
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `statesman` command line.
public struct Statesman: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "statesman",
        abstract: "Run AWS Step Functions state machines on your own machine.",
        version: "0.1.0",
        subcommands: [RunCommand.self, ResumeCommand.self, TasksCommand.self, ValidateCommand.self, EvalCommand.self, PluginsCommand.self, ExecutionsCommand.self, MapRunsCommand.self])

    public init() {}

    /// Runs the command line and exits: 0 on success, 1 when an evaluation failed (its error
    /// printed as JSON on standard output), 2 for usage errors.
    public static func runAndExit(_ arguments: [String]? = nil) async -> Never {
        // A write to a plugin that has died must not kill the engine.
        signal(SIGPIPE, SIG_IGN)
        // Logs (plugins' stderr among them) go to standard error; standard output carries results.
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = ProcessInfo.processInfo.environment["STATESMAN_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            return handler
        }
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }  // --help and --version
            writeStandardError(fullMessage(for: error))
            terminate(2)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            terminate(0)
        } catch EvalOutcome.failure(let failure) {
            var object = JSONObject()
            object["error"] = .string(failure.error.rawValue)
            object["cause"] = failure.cause.map(JSONValue.string) ?? .null
            print(JSONValue.object(object).compactString)
            terminate(1)
        } catch {
            if let code = error as? ExitCode {
                terminate(code.rawValue)
            }
            // `help`, `--help` (parsed into ArgumentParser's help command) and a command group
            // run without a subcommand end by throwing their help: printed on standard output.
            if exitCode(for: error) == .success { exit(withError: error) }
            // Input errors found while running exit 2 (ArgumentParser would use 64).
            writeStandardError("Error: " + message(for: error))
            terminate(2)
        }
    }
}

/// Writes `message` and a newline to standard error.
func writeStandardError(_ message: String) {
    var text = message
    if !text.hasSuffix("\n") { text += "\n" }
    FileHandle.standardError.write(Data(text.utf8))
}

/// Exits the process; `exit` flushes what `print` buffered.
private func terminate(_ code: Int32) -> Never {
    exit(code)
}
