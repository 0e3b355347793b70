import ArgumentParser
import Foundation
import JSONCore
import PluginHost
import Workflow

/// `statesman plugins`: tools for plugin authors.
struct PluginsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins", abstract: "Tools for plugin authors.", subcommands: [InvokeCommand.self, CheckCommand.self])

    /// `statesman plugins invoke FUNCTION`: one invocation, as `aws lambda invoke` makes it.
    struct InvokeCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "invoke",
            abstract: "Invoke one function of a registry once, outside any workflow, and print its answer.",
            discussion: """
                Starts the function's worker as a workflow would and sends it one event. Prints the \
                function's value as JSON; when it fails, prints Lambda's error object (what \
                `aws lambda invoke` writes) and, on standard error, the ASL error name a Task would \
                see. The function's log goes to standard error. Exit status 0 when the function \
                returned, 1 when it failed, 2 for usage errors. Example:
                  statesman plugins invoke detector --functions fns.yaml --payload '{"n": 1}'
                """)

        @Argument(help: "The function: its name, name:qualifier or a Lambda function ARN.")
        var function: String

        @Option(help: "The function registry (YAML or JSON).")
        var functions: String

        @Option(help: "The event: JSON text, or @FILE (@- for standard input).")
        var payload: String = "{}"

        @Option(help: "The object store's directory, given to the function as STATESMAN_STORE.")
        var store: String = ".statesman/store"

        func run() async throws {
            let event = try JSONArgument.read(payload, option: "--payload")
            // Lambda's limit on a synchronous invocation's request.
            guard event.encodedByteCount <= Self.requestLimit else {
                throw ValidationError("--payload is \(event.encodedByteCount) bytes, more than the \(Self.requestLimit) bytes (6 MB) Lambda accepts")
            }
            let launch = Launch(functions: functions, store: store, waitScale: 1, maxChildren: 1)
            guard let registry = try ExecutionSession.loadRegistry(launch) else { throw ValidationError("give the function registry: --functions FILE") }
            let host = PluginHost(registry: registry, options: launch.hostOptions)
            let outcome = await LambdaTaskInvoker(host: host).invoke(function: function, payload: event)
            await host.shutdown()
            switch outcome {
            case .success(let value):
                print(value.compactString)
            case .failure(let failure):
                print(LambdaTaskInvoker.errorObject(failure))
                writeStandardError("error: \(failure.error)")
                throw ExitCode(1)
            }
        }

        static let requestLimit = 6_291_456
    }

    /// `statesman plugins check COMMAND...`: replays the protocol transcripts against a plugin.
    struct CheckCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Replay the protocol's example transcripts against a plugin and report what it does wrong.",
            discussion: """
                Starts COMMAND once per transcript (protocol/transcripts/*.jsonl), plays the host's \
                side and checks every line the plugin writes. Exit status 0 when the plugin passed \
                every transcript, 1 otherwise. Example:
                  statesman plugins check -- python3 plugins/python/statesman_runner.py --handler app.handler
                """)

        @Option(help: "The directory of transcripts (default: the protocol/transcripts this build came with).")
        var transcripts: String?

        @Flag(help: "Also compare payloads exactly (for plugins that echo their input).")
        var exact = false

        @Option(help: "Seconds to wait for each answer and for the plugin to exit.")
        var timeout: Double = 5

        @Argument(parsing: .captureForPassthrough, help: "The plugin's command line.")
        var command: [String]

        func run() async throws {
            // The command line is taken as it is, options and all: help first is for this command.
            if command.first == "--help" || command.first == "-h" { throw CleanExit.helpRequest(self) }
            var command = self.command
            if command.first == "--" { command.removeFirst() }
            guard let program = command.first else { throw ValidationError("give the plugin's command line, e.g. -- ./my-plugin") }
            if !program.contains("/") {
                guard let found = HostPaths.findOnPath(program) else { throw ValidationError("\(program) was not found on PATH") }
                command[0] = found
            } else if !program.hasPrefix("/") {
                command[0] = FileManager.default.currentDirectoryPath + "/" + program
            }
            guard FileManager.default.isExecutableFile(atPath: command[0]) else {
                throw ValidationError("\(command[0]) does not exist or is not executable")
            }
            guard let directory = transcripts ?? HostPaths.discover().transcripts else {
                throw ValidationError("the protocol transcripts were not found; give --transcripts DIR")
            }
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".jsonl") }.sorted()
            guard !files.isEmpty else { throw ValidationError("no transcripts (*.jsonl) in \(directory)") }
            let check = TranscriptCheck(timeout: timeout, exact: exact)
            // Every transcript begins with the handshake: a plugin that fails it would fail
            // them all the same way (each after the timeout), so it is said once.
            if let problem = await check.handshake(command: command) {
                print("FAIL  handshake")
                print("      \(problem)")
                print("0 of \(files.count) transcripts passed (none was run: each begins with the handshake)")
                throw ExitCode(1)
            }
            var failed = 0
            for file in files {
                let problems = await check.run(transcript: "\(directory)/\(file)", command: command)
                if problems.isEmpty {
                    print("ok    \(file)")
                } else {
                    failed += 1
                    print("FAIL  \(file)")
                    for problem in problems { print("      \(problem)") }
                }
            }
            print("\(files.count - failed) of \(files.count) transcripts passed")
            if failed > 0 { throw ExitCode(1) }
        }
    }
}
