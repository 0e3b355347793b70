import ASLModel
import ArgumentParser
import Foundation

/// `statesman validate`: checks definitions as AWS's CreateStateMachine and statelint would,
/// printing every problem as `path: message` (JSON Pointer paths, as AWS names places).
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check state machine definitions and print every problem.",
        discussion: """
            Prints one problem per line as `path: message` (prefixed with the file name when \
            several files are given) and exits 1 when any definition has a problem, 0 when all \
            are valid.
            """)

    @Argument(help: "Definition files (JSON).") var files: [String]

    @Option(help: "Apply the rules of this state machine type (STANDARD or EXPRESS).")
    var type: String = "STANDARD"

    func run() throws {
        guard let machineType = StateMachineType(rawValue: type.uppercased()) else {
            throw ValidationError("--type must be STANDARD or EXPRESS, not \(type)")
        }
        var problems = 0
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read file '\(file)'")
            }
            let text = String(decoding: data, as: UTF8.self)
            let diagnostics = DefinitionDecoder.decode(text: text, type: machineType).diagnostics
            for diagnostic in diagnostics {
                print(files.count > 1 ? "\(file): \(diagnostic)" : diagnostic.description)
            }
            problems += diagnostics.count
        }
        if problems > 0 { throw ExitCode(1) }
    }
}
